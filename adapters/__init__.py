"""Front ends that translate between chat platforms and the core's `Message`/`Reply`."""
