from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "burgernet.mailings"
    label = "mailings"

    def ready(self) -> None:
        # Each recipient's own mail (name, reply and unsubscribe links) is built by dispatch
        # through this registered personaliser (dispatch.personalize), not by a signal.
        from burgernet.dispatch import personalize
        from burgernet.mailings.rendering import personalize_mailing

        personalize.register("mailing", personalize_mailing)

        # Bounce reports keep an address: they go when its participant signs off.
        from burgernet.mailings.services import bounces_erase_for_participant
        from burgernet.participants import erasure

        erasure.register("mailings", bounces_erase_for_participant)
