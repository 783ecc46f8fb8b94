"""The pure core: segmentation, numbers, templates, time, the status vocabulary and callback
decoding. No I/O and no imports from the layers above (storage, providers, services, commands)."""
