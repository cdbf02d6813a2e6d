from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "burgernet.public"
    label = "public"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The dispatch engine sends app push but knows no subscriptions: it asks us.
        from burgernet.dispatch import push_targets
        from burgernet.public.push import push_target_gone, push_targets_resolve

        push_targets.register(resolve=push_targets_resolve, gone=push_target_gone)
