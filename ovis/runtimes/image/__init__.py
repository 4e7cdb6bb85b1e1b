"""Container images (PackageType=Image): the image's ENTRYPOINT + CMD is the runtime."""
