{#- The components are a fixed point: no link of int_identity_links joins two persons
    unless their component is over the user_id limit. -#}
{% test identity_links_within_persons(model) %}

select links.user_id_left, links.user_id_right
from {{ ref('int_identity_links') }} as links
inner join {{ model }} as lefts
    on links.user_id_left = lefts.user_id
inner join {{ model }} as rights
    on links.user_id_right = rights.user_id
where
    lefts.person_id != rights.person_id
    and not lefts.is_over_limit

{% endtest %}
