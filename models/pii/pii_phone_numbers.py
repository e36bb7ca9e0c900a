"""One row per customer with a phone: the number in E.164, null when it cannot be made one."""

from segmart.activation.normalise import phone_e164


def model(dbt, session):
    customers = dbt.ref("pii_customer_contacts").filter("phone is not null").project(
        "user_id, phone, country").df()
    customers["phone_e164"] = [phone_e164(phone, country) for phone, country
                               in zip(customers["phone"], customers["country"], strict=True)]
    customers["has_invalid_phone"] = customers["phone_e164"].isna()
    # typed, so that a CRM without phones still gives text columns, not untyped ones
    return customers[["user_id", "phone_e164", "has_invalid_phone"]].astype(
        {"user_id": "string", "phone_e164": "string", "has_invalid_phone": "bool"})
