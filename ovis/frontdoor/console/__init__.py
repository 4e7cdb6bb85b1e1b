"""The web management console at ``/console/`` (issue #16): a router service on the server's
own port, serving its pages and assets from this package and a small JSON API that calls the
services in process (``ovis.services.calls``), so every change goes through the same use cases
as the AWS API and is visible at once to boto3."""
