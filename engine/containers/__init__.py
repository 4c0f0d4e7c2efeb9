"""Real clients in containers: reach the Docker engine, build the client images once from their recipes (the
official image a user would pick, or a local Debian fallback when no container registry is reachable), and run
a client call in its image — or on the host when there is no engine.

engine.py: connect to the engine; base_image.py: the local Debian base (debootstrap + docker import);
images.py: every client image, by name (each format declares its clients' images; what a recipe holds is
core/images.py); build.py: build or reuse an image, list them; run.py: run a call.
"""
