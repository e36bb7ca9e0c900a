{#- The groups of an incremental aggregate over int_events_sessionized (its hours, its
    sessions) that a build must write again, as the body of a CTE, in an incremental build
    of that aggregate (it reads {{ this }}):
    - groups holding events that int_events_sessionized wrote since the aggregate's newest
      row (sessionized_at marks the build that wrote an event: new, late, re-stitched to the
      person, re-sessionized);
    - stored groups whose event count no longer matches: events re-stitched away from the
      person, re-sessionized into another session, or deleted upstream. A stored group
      without events is in this list too; the model writes it with count_events = 0 and its
      post-hook deletes it.
    `keys` is a list of (column name, expression over the events); the aggregate stores each
    group's count_events and newest sessionized_at. -#}
{% macro changed_groups(events, keys) -%}
    select distinct
        {%- for name, expression in keys %}
            {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ events }}
    where sessionized_at > {{ newest_stored('sessionized_at') }}
    union
    select
        {%- for name, _ in keys %}
            stored.{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as stored
    left join (
        select
            {%- for name, expression in keys %}
                {{ expression }} as {{ name }},
            {%- endfor %}
            count(*) as count_events
        from {{ events }}
        group by {% for _ in keys %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
    ) as current_counts
        on
        {%- for name, _ in keys %}
            {{ 'and ' if not loop.first }}stored.{{ name }} = current_counts.{{ name }}
        {%- endfor %}
    where current_counts.count_events is null
        or current_counts.count_events != stored.count_events
{%- endmacro %}
