"""The IAM service package's face to the front door, and how the server builds it."""

from __future__ import annotations

from dataclasses import dataclass

from ovis.services.iam.catalog import IamCatalog
from ovis.services.iam.operations import IamApi
from ovis.services.iam.policies import ManagedPolicies
from ovis.services.iam.repository import IamRepository
from ovis.services.iam.roles import RoleService
from ovis.services.table import ServiceTable


@dataclass(frozen=True)
class Iam:
    """The IAM use cases over one catalog; ``catalog.load()`` before serving."""

    catalog: IamCatalog
    roles: RoleService
    policies: ManagedPolicies

    @staticmethod
    def build(store: IamRepository, account_id: str) -> Iam:
        catalog = IamCatalog(store, account_id)
        policies = ManagedPolicies(catalog)
        return Iam(catalog, RoleService(catalog, policies), policies)


def iam_service(iam: Iam) -> ServiceTable:
    return ServiceTable("iam", IamApi(iam.roles, iam.policies).handlers)
