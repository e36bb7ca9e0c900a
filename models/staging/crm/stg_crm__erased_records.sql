{#- One row per CRM record to erase: the requested ones and the other records of their
    persons (macro erased_records). A view: it holds ids only, and the post-hooks that
    delete stored rows read it. -#}
{{ erased_records() }}
