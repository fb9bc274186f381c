"""The ARM vocabulary, in one place, below every other package of the tool.

- `ids`: resource ids parsed into a frozen `ResourceId` (case kept) and built back, the one
  grammar every part of the tool reads an id with; `followable` for an id from Azure that is
  about to be put into a request path.
- `scopes`: scope keys (lower-cased ids) compared segment-wise, structural ancestry, the
  management group chain above a subscription, and why a text is not a scope.
- `types`: the provider namespaces and resource types the tool meets, as lower-case keys and
  with the case Azure documents.

It imports nothing else from the tool, so collection, the model, the engine, fixes and reports
all read ids the same way.
"""
