from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "burgernet.dispatch"
    label = "dispatch"

    def ready(self) -> None:
        # Import every provider adapter (the Twilio SDK among them) when a process starts,
        # not when a worker takes its first batch: that import costs about a second, and the
        # first batch is the one a dispatcher waits for.
        from burgernet.dispatch import providers, tasks  # noqa: F401

        providers.adapter_names()

        from django.core import checks

        from burgernet.dispatch.targets import check_configuration

        checks.register(check_configuration)
