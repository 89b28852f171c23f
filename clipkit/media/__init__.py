"""Reading media with PyAV: probing, video frames, still images and audio."""
