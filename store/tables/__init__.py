"""The table definitions by domain; import them through store.schema, which gathers them all."""
