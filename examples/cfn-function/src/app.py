import os


def handler(event, context):
    return {"greeting": os.environ["GREETING"], "name": event.get("name", "world")}
