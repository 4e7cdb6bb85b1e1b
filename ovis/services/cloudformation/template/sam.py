"""The SAM transform (``AWS::Serverless-2016-10-31``) through aws-sam-translator.

``translate_sam`` turns a SAM template into plain CloudFormation with the library AWS
maintains, as CloudFormation's own transform does. It never makes a network call: the
translator gets a boto3 session pinned to the stack's region (nothing is asked of it but its
region), AWS managed policy names are answered from the map bundled with the translator
(never IAM's ListPolicies), and the features whose resources this server cannot serve are
refused before translation with a ValidationError naming the missing service: Api and HttpApi
events and ``AWS::Serverless::Api``/``HttpApi`` (API Gateway), DeploymentPreference
(CodeDeploy), and the like. Pure: the input document is not changed. The translator keeps
process-wide state (the session's region, its metrics singleton), so translations are
serialized by a lock; each takes milliseconds.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any, Final

from ovis.services.cloudformation.template.errors import TemplateError
from ovis.services.cloudformation.template.pseudo import PARTITION

SAM_TRANSFORM: Final = "AWS::Serverless-2016-10-31"

# SAM resource types whose resources need a service this server does not have.
_REFUSED_TYPES: Final = {
    "AWS::Serverless::Api": "API Gateway",
    "AWS::Serverless::HttpApi": "API Gateway",
    "AWS::Serverless::StateMachine": "Step Functions",
    "AWS::Serverless::SimpleTable": "DynamoDB",
    "AWS::Serverless::Application": "the Serverless Application Repository",
    "AWS::Serverless::GraphQLApi": "AppSync",
}
# Function event types served (their resources are Lambda, SQS, Kinesis, SNS, EventBridge,
# Scheduler and S3 ones); every other event type is refused naming its service.
_SERVED_EVENTS: Final = frozenset(
    {"SQS", "Kinesis", "SNS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "S3"}
)
_EVENT_SERVICES: Final = {
    "Api": "API Gateway",
    "HttpApi": "API Gateway",
    "DynamoDB": "DynamoDB Streams",
    "MSK": "Amazon MSK",
    "MQ": "Amazon MQ",
    "SelfManagedKafka": "self-managed Apache Kafka event sources",
    "DocumentDB": "Amazon DocumentDB",
    "CloudWatchLogs": "CloudWatch Logs subscription filters",
    "IoTRule": "AWS IoT",
    "AlexaSkill": "Alexa Skills Kit",
    "Cognito": "Amazon Cognito",
}

_lock = threading.Lock()


def _refuse(logical_id: str, what: str, service: str) -> TemplateError:
    return TemplateError(
        f"Transform {SAM_TRANSFORM} failed with: Resource with id [{logical_id}] is invalid."
        f" {what} needs {service}, which this server does not serve."
    )


def check_served(doc: Mapping[str, Any]) -> None:
    """Refuses the SAM features this server cannot back (see the module docstring)."""
    globals_section = doc.get("Globals")
    if isinstance(globals_section, dict):
        function_globals = globals_section.get("Function")
        if isinstance(function_globals, dict) and "DeploymentPreference" in function_globals:
            raise TemplateError(
                f"Transform {SAM_TRANSFORM} failed with: Globals.Function.DeploymentPreference"
                " needs CodeDeploy, which this server does not serve."
            )
        if "Api" in globals_section or "HttpApi" in globals_section:
            raise TemplateError(
                f"Transform {SAM_TRANSFORM} failed with: Globals.Api and Globals.HttpApi need"
                " API Gateway, which this server does not serve."
            )
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id, body in resources.items():
        if not isinstance(body, dict):
            continue
        type_name = body.get("Type")
        if type_name in _REFUSED_TYPES:
            raise _refuse(logical_id, f"Type {type_name}", _REFUSED_TYPES[type_name])
        if type_name != "AWS::Serverless::Function":
            continue
        props = body.get("Properties")
        if not isinstance(props, dict):
            continue
        if props.get("DeploymentPreference") is not None:
            raise _refuse(logical_id, "DeploymentPreference", "CodeDeploy")
        events = props.get("Events")
        if not isinstance(events, dict):
            continue
        for event_id, event in events.items():
            event_type = event.get("Type") if isinstance(event, dict) else None
            if isinstance(event_type, str) and event_type not in _SERVED_EVENTS:
                service = _EVENT_SERVICES.get(event_type, f"the {event_type} event source")
                raise _refuse(logical_id, f"Event [{event_id}] of type {event_type}", service)


def translate_sam(
    doc: Mapping[str, Any],
    *,
    stack_name: str,
    region: str,
    account_id: str,
    parameters: Mapping[str, str],
) -> dict[str, Any]:
    """``doc`` with the SAM transform applied; raises ``TemplateError`` with the translator's
    reasons (AWS's "Transform AWS::Serverless-2016-10-31 failed with: ...")."""
    check_served(doc)
    # Imported here: the translator is large and only SAM templates need it.
    import boto3
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.public.parser import Parser
    from samtranslator.public.translator import Translator

    managed = get_bundled_managed_policy_map(PARTITION) or {}
    values: dict[str, Any] = dict(parameters)
    values.update(
        {
            "AWS::Region": region,
            "AWS::Partition": PARTITION,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
        }
    )
    template = copy.deepcopy(dict(doc))
    with _lock:
        # A session made from explicit values reads no files and calls nothing: the
        # translator only asks it for its region.
        session = boto3.session.Session(
            region_name=region, aws_access_key_id="unused", aws_secret_access_key="unused"
        )
        # Metrics recorded and "published" to nowhere: unpublished ones log a warning.
        metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
        translator = Translator(managed, Parser(), boto_session=session, metrics=metrics)
        try:
            out = translator.translate(
                template, parameter_values=values, get_managed_policy_map=lambda: managed
            )
        except InvalidDocumentException as exc:
            reasons = " ".join(cause.message for cause in exc.causes)
            raise TemplateError(
                f"Transform {SAM_TRANSFORM} failed with: {exc.message} {reasons}"
            ) from None
        except ExceptionWithMessage as exc:
            raise TemplateError(f"Transform {SAM_TRANSFORM} failed with: {exc.message}") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # The translator assumes well-formed SAM in places; a malformed one must still be a
            # 400 naming the transform, never a 500.
            raise TemplateError(
                f"Transform {SAM_TRANSFORM} failed with: Invalid Serverless Application"
                f" Specification document. {exc}"
            ) from None
        finally:
            metrics.publish()
    if not isinstance(out, dict):  # pragma: no cover - the translator always answers a dict
        raise TemplateError(f"Transform {SAM_TRANSFORM} failed")
    return out
