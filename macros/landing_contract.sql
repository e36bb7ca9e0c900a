{#- The input contract as the file check sees it: for each landing table, its columns and
    what each must hold (timestamp, number, boolean or text). A file whose column cannot hold
    its value (a nested type, a float time, ...) is rejected whole as
    incompatible_type:<column> (check_landing_files); a column that is missing or extra is
    not a file-level defect. -#}
{% macro landing_contract() -%}
    {%- set text = 'text' -%}
    {{ return({
        'events': {
            'event_id': text, 'event_type': text, 'occurred_at': 'timestamp',
            'anonymous_id': text, 'user_id': text, 'page_path': text, 'product_id': text,
            'category': text, 'price': 'number', 'quantity': 'number', 'device_type': text,
            'channel': text, 'country': text, 'engagement_ms': 'number',
            'loaded_at': 'timestamp', 'email': text, 'phone': text,
        },
        'orders': {
            'order_id': text, 'line_number': 'number', 'user_id': text,
            'ordered_at': 'timestamp', 'product_id': text, 'category': text,
            'quantity': 'number', 'unit_price': 'number', 'status': text,
        },
        'customers': {
            'user_id': text, 'email': text, 'signup_at': 'timestamp', 'birth_year': 'number',
            'gender': text, 'income_band': text, 'occupation': text, 'city': text,
            'country': text, 'timezone': text, 'marketing_consent': 'boolean',
            'consent_updated_at': 'timestamp', 'updated_at': 'timestamp',
        },
        'deletion_requests': {'user_id': text, 'requested_at': 'timestamp'},
        'campaign_outcomes': {'user_id': text, 'segment': text, 'converted_at': 'timestamp'},
    }) }}
{%- endmacro %}
