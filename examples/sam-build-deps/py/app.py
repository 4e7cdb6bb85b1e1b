import six


def handler(event, context):
    # six is not in the Lambda runtime: it comes from requirements.txt through `sam build`.
    return {"runtime": "python", "dependency": "six", "version": six.__version__}
