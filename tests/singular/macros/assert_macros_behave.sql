-- Each macro on literal inputs; a returned row names the case that went wrong. It runs on
-- every engine (make test-spark runs it on Spark), so the dispatched implementations agree.
with

cases as (

    select
        'whole_days_between: exactly 7 days is 7' as case_name,
        (
            {{ whole_days_between("timestamp '2025-01-01 00:00:00'",
                                  "timestamp '2025-01-08 00:00:00'") }} = 7
        ) as passed
    union all
    select
        'whole_days_between: 7 days minus 1 s is 6' as case_name,
        (
            {{ whole_days_between("timestamp '2025-01-01 00:00:01'",
                                  "timestamp '2025-01-08 00:00:00'") }} = 6
        ) as passed
    union all
    select
        'seconds_between: microseconds count' as case_name,
        (
            {{ seconds_between("timestamp '2025-01-01 00:00:00'",
                               "timestamp '2025-01-01 00:30:00.000001'") }} = 1800.000001
        ) as passed
    union all
    select
        'to_local_time: Kolkata is +05:30' as case_name,
        (
            {{ to_local_time("timestamp '2025-01-01 00:30:00'", "'Asia/Kolkata'") }}
            = timestamp '2025-01-01 06:00:00'
        ) as passed
    union all
    select
        'to_local_time: New York in summer is -04:00' as case_name,
        (
            {{ to_local_time("timestamp '2025-07-01 10:00:00'", "'America/New_York'") }}
            = timestamp '2025-07-01 06:00:00'
        ) as passed
    union all
    select
        'to_local_time: null zone is UTC' as case_name,
        (
            {{ to_local_time("timestamp '2025-01-01 00:30:00'", "cast(null as string)") }}
            = timestamp '2025-01-01 00:30:00'
        ) as passed
    union all
    select
        'landed_timestamp: a text with an offset is converted to UTC' as case_name,
        (
            {{ landed_timestamp("'2025-01-01 10:00:00+02:00'") }}
            = timestamp '2025-01-01 08:00:00'
        ) as passed
    union all
    select
        'landed_timestamp: a text and a timestamp without a zone are UTC' as case_name,
        (
            {{ landed_timestamp("'2025-01-01 10:00:00'") }} = timestamp '2025-01-01 10:00:00'
            and {{ landed_timestamp("timestamp '2025-01-01 10:00:00'") }}
            = timestamp '2025-01-01 10:00:00'
        ) as passed
    union all
    select
        'landed_timestamp: what does not parse is null' as case_name,
        (
            {{ landed_timestamp("'yesterday-ish'") }} is null
            and {{ landed_timestamp("cast(null as string)") }} is null
        ) as passed
    union all
    select
        'landed_timestamp: an integer epoch in s, ms, us or ns, told by its digits' as case_name,
        (
            {{ landed_timestamp('cast(1736071200 as bigint)') }}
            = timestamp '2025-01-05 10:00:00'
            and {{ landed_timestamp('cast(1736071200000 as bigint)') }}
            = timestamp '2025-01-05 10:00:00'
            and {{ landed_timestamp('cast(1736071200000001 as bigint)') }}
            = timestamp '2025-01-05 10:00:00.000001'
            and {{ landed_timestamp('cast(1736071200000001000 as bigint)') }}
            = timestamp '2025-01-05 10:00:00.000001'
            and {{ landed_timestamp("' 1736071200 '") }} = timestamp '2025-01-05 10:00:00'
        ) as passed
    union all
    select
        'landed_timestamp: the edges of the epoch bands' as case_name,
        (
            {{ landed_timestamp('cast(100000000 as bigint)') }}
            = timestamp '1973-03-03 09:46:40'
            and {{ landed_timestamp('cast(99999999999 as bigint)') }}
            = timestamp '5138-11-16 09:46:39'
            and {{ landed_timestamp('cast(100000000000 as bigint)') }}
            = timestamp '1973-03-03 09:46:40'
        ) as passed
    union all
    select
        'landed_epoch_out_of_range: an integer outside every band, and only that' as case_name,
        (
            {{ landed_epoch_out_of_range('cast(99999999 as bigint)') }}
            and {{ landed_epoch_out_of_range('cast(-1736071200 as bigint)') }}
            and {{ landed_epoch_out_of_range("'42'") }}
            and {{ landed_timestamp('cast(42 as bigint)') }} is null
            and not {{ landed_epoch_out_of_range('cast(1736071200 as bigint)') }}
            and not {{ landed_epoch_out_of_range("'2025-01-05 10:00:00'") }}
            and not {{ landed_epoch_out_of_range("'yesterday-ish'") }}
            and not {{ landed_epoch_out_of_range("timestamp '2025-01-05 10:00:00'") }}
            and not {{ landed_epoch_out_of_range('cast(null as bigint)') }}
        ) as passed
    union all
    select
        'ordered_tuple: max_by takes the latest time, then the greatest id' as case_name,
        (
            select max_by(user_id, {{ ordered_tuple(['occurred_at', 'event_id']) }}) = 'b'
            from (
                select
                    'a' as user_id,
                    2 as occurred_at,
                    'e1' as event_id
                union all
                select
                    'b' as user_id,
                    2 as occurred_at,
                    'e2' as event_id
                union all
                select
                    'c' as user_id,
                    1 as occurred_at,
                    'e9' as event_id
            ) as logins
        ) as passed
    union all
    select
        'clean_identity: blocked values are null' as case_name,
        (
            {{ clean_identity("'undefined'") }} is null
            and {{ clean_identity("' Anonymous '") }} is null
            and {{ clean_identity("'0000'") }} is null
            and {{ clean_identity("'--'") }} is null
            and {{ clean_identity("''") }} is null
        ) as passed
    union all
    select
        'clean_identity: real ids are trimmed, not blocked' as case_name,
        (
            {{ clean_identity("' u-0 '") }} = 'u-0'
            and {{ clean_identity("'10'") }} = '10'
        ) as passed
    union all
    select
        'is_part_of_day: 6 and 8 are morning, 5 and 9 are not' as case_name,
        (
            {{ is_part_of_day('6', 'morning') }} and {{ is_part_of_day('8', 'morning') }}
            and not {{ is_part_of_day('5', 'morning') }}
            and not {{ is_part_of_day('9', 'morning') }}
        ) as passed
    union all
    select
        'is_part_of_day: 18 and 22 are evening, 23 is not' as case_name,
        (
            {{ is_part_of_day('18', 'evening') }} and {{ is_part_of_day('22', 'evening') }}
            and not {{ is_part_of_day('23', 'evening') }}
        ) as passed
    union all
    select
        'age_band: bands and unknowns' as case_name,
        (
            {{ age_band('2000', "timestamp '2025-01-01 00:00:00'") }} = '25_34'
            and {{ age_band('2010', "timestamp '2025-01-01 00:00:00'") }} = 'under_18'
            and {{ age_band('1850', "timestamp '2025-01-01 00:00:00'") }} = 'unknown'
            and {{ age_band('null', "timestamp '2025-01-01 00:00:00'") }} = 'unknown'
        ) as passed
    union all
    select
        'hash_pii: salted, normalised, 64 hex characters' as case_name,
        (
            length({{ hash_pii("' Ann@Example.com '") }}) = 64
            and {{ hash_pii("'ann@example.com'") }} = {{ hash_pii("' ANN@example.com'") }}
            -- salted: not the plain SHA-256 of the same text
            and {{ hash_pii("'ann@example.com'") }}
            != '71d4f55f72fa128dfb468a1a3901507c804b74316488744d769d7f4b16696476'
            and {{ hash_pii('cast(null as string)') }} is null
        ) as passed
    union all
    select
        'safe_cast: what will not cast is null' as case_name,
        (
            {{ dbt.safe_cast("'abc'", 'double') }} is null
            and {{ dbt.safe_cast("'12.5'", 'double') }} = 12.5
            and {{ dbt.safe_cast("'2025-01-01T10:00:00+02:00'", 'timestamptz') }}
            = timestamp '2025-01-01 08:00:00'
        ) as passed
    union all
    select
        'holdout_unit: same value as segmart.holdouts.holdout_unit' as case_name,
        (
            abs(
                {{ holdout_unit("'cart_abandoners'", "'u00000001'", 'segmart-holdouts') }}
                - 0.5333252958953381
            ) < 1e-12
        ) as passed
    union all
    select
        'matches_regex: search semantics' as case_name,
        (
            {{ matches_regex("'a-0--'", '^[0-]+$') }} = false
            and {{ matches_regex("'0--0'", '^[0-]+$') }}
            and {{ matches_regex("'xx12yy'", '[0-9]+') }}
        ) as passed
    union all
    select
        'time_zone_names: real zones in, made-up zones out' as case_name,
        (
            (
                select count(*) from ({{ time_zone_names() }}) as zones
                where time_zone_name in ('Europe/Berlin', 'Asia/Kolkata', 'America/New_York')
            ) = 3
            and (
                select count(*) from ({{ time_zone_names() }}) as zones
                where time_zone_name = 'Mars/Olympus_Mons'
            ) = 0
        ) as passed
    union all
    select
        'time_zone_names: the engine converts to every one of them' as case_name,
        (
            (
                select count(*) from ({{ time_zone_names() }}) as zones
                where {{ to_local_time("timestamp '2025-01-01 00:00:00'", 'time_zone_name') }}
                    is null
            ) = 0
        ) as passed

    union all
    select
        'money: exact decimal sums' as case_name,
        (
            {{ money('0.1') }} + {{ money('0.2') }} = {{ money('0.3') }}
        ) as passed
    union all
    select
        'national_phone_e164: a GB number drops its trunk 0, however spaced' as case_name,
        (
            {{ national_phone_e164("' 07700 900-456'", "'44'", "'0'") }} = '+447700900456'
        ) as passed
    union all
    select
        'national_phone_e164: an IT number has no trunk prefix to drop' as case_name,
        (
            {{ national_phone_e164("'312 345 6789'", "'39'", 'cast(null as string)') }}
            = '+393123456789'
        ) as passed
    union all
    select
        'national_phone_e164: an international number or an unknown country gives null'
            as case_name,
        (
            {{ national_phone_e164("'+44 7700 900456'", "'44'", "'0'") }} is null
            and {{ national_phone_e164("'0044 7700 900456'", "'44'", "'0'") }} is null
            and {{ national_phone_e164("'07700 900456'", 'cast(null as string)', "'0'") }}
            is null
        ) as passed

)

select case_name
from cases
where not coalesce(passed, false)
