from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AuditEventData:
    at: datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    data: dict
