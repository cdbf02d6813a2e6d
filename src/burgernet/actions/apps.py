from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "burgernet.actions"
    label = "actions"

    def ready(self) -> None:
        # Incoming calls of reached participants go to the action's control room.
        from burgernet.actions.calls import record_inbound, resolve_caller
        from burgernet.dispatch.routing import register_caller_resolver, register_inbound_handler

        register_caller_resolver(resolve_caller)
        register_inbound_handler(record_inbound)

        # A participant who signs off is no longer reachable: who an action reached keeps the
        # row (the counts of the dossier) but not their number.
        from burgernet.actions.services import recipients_forget_participant
        from burgernet.participants import erasure

        erasure.register("actions", recipients_forget_participant)
