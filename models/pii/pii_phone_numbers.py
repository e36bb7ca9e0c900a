"""One row per customer with a phone: the number in E.164, null when it cannot be made one;
a phone and country the previous build parsed are not parsed again."""

from segmart.identity.phones import PHONE_KEY_SQL, phone_numbers_table, previous_table


def model(dbt, session):
    customers = dbt.ref("pii_customer_contacts").filter("phone is not null").project(
        f"user_id, phone, country, {PHONE_KEY_SQL} as phone_key").df()
    previous = previous_table(session, f"{dbt.this.schema}.{dbt.this.identifier}")
    return phone_numbers_table(customers, previous)
