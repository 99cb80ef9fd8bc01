"""factory_boy factories: the one place tests build model objects."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.utils import timezone

from reports.models import (
    ActionLineProgress,
    Country,
    Entity,
    FollowUpContact,
    KeyIndicator,
    Membership,
    Report,
    ReportingCycle,
    StakeholderType,
    SuccessStory,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    username = factory.LazyAttribute(lambda o: o.email)
    first_name = "Amina"
    last_name = "Diallo"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        """Give the user a verified primary e-mail address, as after sign-up (default)."""
        if not create or extracted is False:
            return
        obj.save()
        EmailAddress.objects.get_or_create(
            user=obj, email=obj.email, defaults={"verified": True, "primary": True}
        )


class CycleFactory(factory.django.DjangoModelFactory[ReportingCycle]):
    """An open cycle whose deadline is two weeks away."""

    class Meta:
        model = ReportingCycle
        django_get_or_create = ("slug",)

    name = "WSIS+20 review (test)"
    slug = factory.Sequence(lambda n: f"test-cycle-{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    late_policy = ReportingCycle.LatePolicy.ACCEPT
    secretariat_email = "wsis-info@itu.int"


class EntityFactory(factory.django.DjangoModelFactory[Entity]):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"Ministry of Digital Economy {n}")
    acronym = "MDE"
    stakeholder_type = StakeholderType.GOVERNMENT
    country = factory.LazyFunction(lambda: Country.objects.get(code="KE"))
    website = "https://www.example.org"


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    entity = factory.SubFactory(EntityFactory)
    role = Membership.Role.OWNER


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    class Meta:
        model = Report

    entity = factory.SubFactory(EntityFactory)
    cycle = factory.SubFactory(CycleFactory)
    executive_summary = "Over twenty years we connected schools and hospitals."


class ProgressFactory(factory.django.DjangoModelFactory[ActionLineProgress]):
    class Meta:
        model = ActionLineProgress

    report = factory.SubFactory(ReportFactory)
    achievements = "Global expansion in mobile networks 2G/3G/4G/5G."
    challenges = "Limited infrastructure in developing regions."
    future_priorities = "Affordable broadband for all."


class SuccessStoryFactory(factory.django.DjangoModelFactory[SuccessStory]):
    class Meta:
        model = SuccessStory

    report = factory.SubFactory(ReportFactory)
    title = "Connecting rural schools"
    description = "Three hundred schools were connected through community networks."
    year = 2021


class IndicatorFactory(factory.django.DjangoModelFactory[KeyIndicator]):
    class Meta:
        model = KeyIndicator

    report = factory.SubFactory(ReportFactory)
    indicator = "Percentage of the population using the Internet"
    value = "67.4"
    unit = "%"
    year = 2024
    source = "ITU"


class ContactFactory(factory.django.DjangoModelFactory[FollowUpContact]):
    class Meta:
        model = FollowUpContact

    report = factory.SubFactory(ReportFactory)
    name = "Amina Diallo"
    position = "WSIS Focal Point"
    unit = "International Relations"
    email = "focal.point@example.org"
    phone = "+41 22 730 0000"
    address = "Place des Nations, Geneva"
