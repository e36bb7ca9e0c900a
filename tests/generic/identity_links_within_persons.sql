{#- Checked on the labels, not trusted from the pre-hook's own stop condition: a link
    whose two ends carry different persons means the rounds stopped early. -#}
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
