"""The Schemas package's face to the composition root: ``schemas_service`` is the
``AwsService`` (botocore ``schemas``, rest-json) the front door serves. The console keeps each
function's shareable test events here, as AWS's does (registry ``lambda-testevent-schemas``,
schema ``_<FunctionName>-schema``)."""

from __future__ import annotations

from ovis.services.schemas.operations import SchemasApi
from ovis.services.schemas.registries import RegistryService
from ovis.services.schemas.repository import SchemaRepository
from ovis.services.schemas.schemas import SchemaService
from ovis.services.table import ServiceTable


def schemas_service(store: SchemaRepository, region: str, account: str) -> ServiceTable:
    api = SchemasApi(RegistryService(store, region, account), SchemaService(store, region, account))
    return ServiceTable("schemas", api.handlers)
