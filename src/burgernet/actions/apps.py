from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "burgernet.actions"
    label = "actions"

    def ready(self) -> None:
        # Incoming calls of reached participants go to the action's control room.
        try:
            from burgernet.dispatch.routing import register_caller_resolver
        except ImportError:  # the dispatch engine is not installed in this build
            return
        from burgernet.actions.calls import resolve_caller

        register_caller_resolver(resolve_caller)
