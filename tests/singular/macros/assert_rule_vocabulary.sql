-- The rule vocabulary macros on hand-made days and events, at the edges of their windows.
-- A returned row is a person a macro missed or wrongly found.
with

days as (

    select hand_made.* from (
        values
        ('u_a', 0, 2), ('u_a', 6, 1),
        ('u_b', 7, 5), ('u_b', 3, 1),
        ('u_c', 40, 1),
        ('u_d', 2, 1),
        ('u_e', 0, 1), ('u_e', 45, 2),
        ('u_f', 0, 1), ('u_f', 20, 1),
        ('u_g', 1, 1), ('u_g', 8, 1), ('u_g', 15, 1),
        ('u_h', 30, 1), ('u_h', 119, 1)
    ) as hand_made (user_id, days_before_as_of, measure)

),

events as (

    select hand_made.* from (
        values
        ('s_in', 'product_view', timestamp '2025-01-09 10:00:00', 0),
        ('s_in', 'add_to_cart', timestamp '2025-01-09 10:30:00', 0),
        ('s_late', 'product_view', timestamp '2025-01-09 10:00:00', 0),
        ('s_late', 'add_to_cart', timestamp '2025-01-09 10:30:01', 0),
        ('s_reversed', 'add_to_cart', timestamp '2025-01-09 09:00:00', 0),
        ('s_reversed', 'product_view', timestamp '2025-01-09 09:10:00', 0),
        ('s_old', 'product_view', timestamp '2025-01-02 23:50:00', 7),
        ('s_old', 'add_to_cart', timestamp '2025-01-03 00:10:00', 6)
    ) as hand_made (user_id, event_type, occurred_at, days_before_as_of)

),

performed_at_least as (
    {{ rule_performed('measure', within_days=7, at_least=3, from_relation='days') }}
),

performed_at_most as (
    {{ rule_performed('measure', within_days=7, at_most=0, from_relation='days') }}
),

did_not_perform as (
    {{ rule_did_not_perform('measure', within_days=30, from_relation='days') }}
),

first_performed as (
    {{ rule_first_performed_within('measure', within_days=7, from_relation='days') }}
),

stopped as (
    {{ rule_stopped('measure', recent_days=30, earlier_days=90, at_least=2,
                    from_relation='days') }}
),

restarted as (
    {{ rule_restarted('measure', recent_days=7, silent_days=30, from_relation='days') }}
),

regularly as (
    {{ rule_performed_regularly('measure', period_days=7, periods=4, min_periods=3,
                                from_relation='days') }}
),

in_sequence as (
    {{ rule_performed_in_sequence('product_view', 'add_to_cart', within_minutes=30,
                                  within_days=7, from_relation='events') }}
),

found as (

    select
        'performed_at_least' as macro_name,
        user_id
    from performed_at_least
    union all
    select
        'performed_at_most' as macro_name,
        user_id
    from performed_at_most
    union all
    select
        'did_not_perform' as macro_name,
        user_id
    from did_not_perform
    union all
    select
        'first_performed' as macro_name,
        user_id
    from first_performed
    union all
    select
        'stopped' as macro_name,
        user_id
    from stopped
    union all
    select
        'restarted' as macro_name,
        user_id
    from restarted
    union all
    select
        'regularly' as macro_name,
        user_id
    from regularly
    union all
    select
        'in_sequence' as macro_name,
        user_id
    from in_sequence

),

expected as (

    select hand_made.* from (
        values
        ('performed_at_least', 'u_a'),
        ('performed_at_most', 'u_c'),
        ('performed_at_most', 'u_h'),
        ('did_not_perform', 'u_c'),
        ('did_not_perform', 'u_h'),
        ('first_performed', 'u_a'),
        ('first_performed', 'u_d'),
        ('stopped', 'u_h'),
        ('restarted', 'u_e'),
        ('regularly', 'u_g'),
        ('in_sequence', 's_in')
    ) as hand_made (macro_name, user_id)

),

final as (

    select
        'missed' as problem,
        expected.macro_name,
        expected.user_id
    from expected
    left join found
        on expected.macro_name = found.macro_name
            and expected.user_id = found.user_id
    where found.user_id is null
    union all
    select
        'wrongly found' as problem,
        found.macro_name,
        found.user_id
    from found
    left join expected
        on found.macro_name = expected.macro_name
            and found.user_id = expected.user_id
    where expected.user_id is null

)

select * from final
