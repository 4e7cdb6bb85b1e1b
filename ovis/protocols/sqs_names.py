"""SQS's classic query-protocol names, which botocore's JSON model of SQS no longer carries:
``Attribute.1.Name`` / ``Attribute.1.Value`` for ``Attributes``, ``MessageAttribute.1.Value.
StringValue``, ``SendMessageBatchRequestEntry.1.Id``..., and the ``<Message>`` elements of
ReceiveMessage's result. Older SDKs and curl users speak these. Also SQS's wording of an
unknown action, in both of its protocols."""

from __future__ import annotations

from types import MappingProxyType

from ovis.errors import ApiError, InvalidAction
from ovis.protocols.xmldoc import QueryName

SQS_XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

_ITEMS = {
    "QueueAttributeMap": "Attribute",
    "MessageSystemAttributeMap": "Attribute",
    "MessageBodyAttributeMap": "MessageAttribute",
    "MessageBodySystemAttributeMap": "MessageSystemAttribute",
    "TagMap": "Tag",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "TagKeyList": "TagKey",
    "QueueUrlList": "QueueUrl",
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "MessageList": "Message",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
}

SQS_QUERY_NAMES = MappingProxyType(
    {
        shape: QueryName(name, *(("Key", "Value") if shape == "TagMap" else ()))
        for shape, name in _ITEMS.items()
    }
)


def sqs_unknown_action(action: str) -> ApiError:
    """What SQS answers for an Action (or X-Amz-Target) naming no operation."""
    return InvalidAction(f"The action {action} is not valid for this endpoint.")
