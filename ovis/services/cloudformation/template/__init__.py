"""CloudFormation templates: parsing, transforms, parameters, conditions, the dependency
graph and intrinsic functions. Pure functions over plain documents; the stack engine owns
everything stateful.

The flow a stack operation follows::

    doc = parse_template(body)                      # JSON/YAML, short tags -> long form
    values = resolve_parameters(doc, given, previous)
    doc = expand(doc, stack_name=..., region=..., account_id=..., parameters=values)
                                                    # AWS::LanguageExtensions, then SAM
    ctx = Context(stack_name, stack_id, region, account_id, values, types, arns, import_value)
    p = plan(doc, ctx)                              # validated, conditions applied, ordered
    props = resolve(p.resources["Queue"].properties, ctx, p, lookup)

Every refusal is a ``TemplateError`` or ``ValidationError`` (400 ValidationError) worded as
AWS words it. ``expand`` of a SAM template imports aws-sam-translator (about half a second the
first time) and takes milliseconds after; it is CPU-bound: call it off the event loop.
"""

from ovis.services.cloudformation.template.context import Context
from ovis.services.cloudformation.template.errors import TemplateError
from ovis.services.cloudformation.template.graph import topological_order
from ovis.services.cloudformation.template.intrinsics import (
    ResourceLookup,
    references,
    resolve,
)
from ovis.services.cloudformation.template.parameters import (
    ParameterDecl,
    declared_parameters,
    resolve_parameters,
)
from ovis.services.cloudformation.template.parse import parse_template
from ovis.services.cloudformation.template.plan import (
    OutputDecl,
    Plan,
    ResourceDecl,
    plan,
    validate_template,
)
from ovis.services.cloudformation.template.pseudo import NO_VALUE
from ovis.services.cloudformation.template.transform import expand, transforms

__all__ = [
    "NO_VALUE",
    "Context",
    "OutputDecl",
    "ParameterDecl",
    "Plan",
    "ResourceDecl",
    "ResourceLookup",
    "TemplateError",
    "declared_parameters",
    "expand",
    "parse_template",
    "plan",
    "references",
    "resolve",
    "resolve_parameters",
    "topological_order",
    "transforms",
    "validate_template",
]
