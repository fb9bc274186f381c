"""What a credential is, and its removal: the one definition, for collection, snapshots,
bundles and every message the tool prints.

A credential is never needed to diagnose access (GUIDE section 2), so credentials are removed,
never masked or hashed. Its users, in two modes of the same rules:

- The collector (diagnose/collect) runs `scrub_json(value, drop=True)` on every ARM response
  it keeps, before it reaches a snapshot: a credential is left out, field and all (a URL keeps
  its scheme, host and path), so a snapshot holds no credential and no field named like one.
  When the snapshot is assembled (diagnose/collect/assemble.py) the scrub runs once more over
  all of it; free text that must stay (assignment descriptions, Graph names, error messages)
  keeps its words, with REMOVED where a credential was.
- Every message printed (stderr, the UI's notifications, error texts quoted in reports) goes
  through scrub_text (diagnose.safe.safe_message), and so do the error messages the
  model reads from any snapshot, however old.
- A support bundle (diagnose/bundle) runs first, before redaction and before anything is
  written, on the snapshot, the request log, the command line and the rendered reports,
  whether or not --redact was given: what replaces a credential is the constant REMOVED, which
  shows that one was there without holding it.

The package, by seam: names.py says which names hold a credential (JSON fields, tag and
metadata labels, URL query parameters, command-line options), patterns.py the text patterns of
one (JWTs, headers, connection strings, client secrets, keyed hex, random-looking tokens), and
scrub.py applies both (scrub_text, scrub_document, scrub_json, scrub_request, scrub_argv).
Import from `diagnose.secrets`, which re-exports them all.

What counts as a credential:

- a JSON field whose name says so (`is_secret_field`): credentials, key, keys, password,
  secret, token, sasToken, connectionString, accountKey, primaryKey, clientSecret,
  authorization (a header), ... compared case-insensitively with `_`, `-`, `.` and spaces
  ignored, exactly or as a suffix (accessToken, storageAccountKey, primaryConnectionString;
  publicKey, partitionKey and the like excepted).
  Names that only select an authentication mode (Search's `aadOrApiKey`, `apiKeyOnly`)
  are settings, not secrets, and are kept, and so are Key Vault access policies'
  `permissions.keys/secrets/certificates` lists of permission names (the CMK checks read
  them); so are `code` (an error code) and key references such as `keyName`, `keyVaultUri`,
  `keyIdentifier`. The value of a secret field becomes REMOVED whatever its type, except
  null and booleans (a flag such as `hasPassword` carries no secret); in drop mode the field
  goes, whatever its value. One exception inside a secret field: a `credentials` object keeps
  `resourceId` and `clientId` (any case, as ARM spells them; CREDENTIAL_IDENTIFIERS), the
  identity a `ManagedIdentity` connection calls as, which the connection checks read; every
  other entry of it goes (or becomes REMOVED), and a `credentials` object without those ids
  goes whole, as before.
- in `tags` and connection `metadata`, whose names people choose freely, also a name that
  says password, secret, token, credential or key anywhere in it (`is_secret_label`:
  db_password_prod, storage_key, Key1), unless it describes a credential rather than holding
  one (keyVault, KeyVaultName, secretName, tokenExpiry, publicKey).
- a string, or a part of one (`scrub_text`), that is a credential whatever field holds it:
  a JWT (`eyJ...`), an `Authorization: Bearer|Basic|SharedKey ...` value, a URL whose query
  carries a SAS (sig=, se=, sv=, ...) or a secret parameter (the whole query and fragment are
  dropped), user:password@ in a URL, `name=value` pairs of connection strings and query
  strings whose name is secret (AccountKey=, SharedAccessKey=, SharedAccessSignature=,
  PrimaryKey=, SecondaryKey=, AccessKey=, Password=, sig=, code=, any name is_secret_label
  accepts), `header: value` for the headers that carry keys (api-key, Ocp-Apim-Subscription-Key,
  x-functions-key, Authorization, Cookie, ...) and `password: value`, Entra ID client secrets
  (`abc8Q~...`, 40 characters), 32- and 64-hex keys right after a word such as key, secret,
  token or signature (a bare GUID, role id or SHA-256 is not a key), and long random-looking
  tokens (40+ base64 characters mixing digits, upper and lower case; 32-hex Cognitive Services
  keys as a whole value).
- in a request log entry's query parameters (`scrub_request`), also the URL parameters that
  carry credentials (sig, code, key, token, ...).
- on the command line (`scrub_argv`), the value of any option whose name mentions a token,
  key, secret, password, SAS, credential, connection string or cookie (--arm-token X and
  --arm-token=X alike), on top of `scrub_text` on every argument.

The scrub is idempotent, and it leaves the tool's own reports untouched (tested on the demo in
every format), so a bundled report is byte-for-byte what a replay of the bundle prints. Its
heuristics lean towards removing: a false positive costs a field the diagnosis did not need;
a false negative would leak a credential.
"""

from __future__ import annotations

from diagnose.secrets.names import (
    CREDENTIAL_IDENTIFIERS,
    LABEL_PARENTS,
    NOT_SECRET,
    NOT_SECRET_SUFFIXES,
    PERMISSION_LISTS,
    SECRET_NAMES,
    SECRET_QUERY,
    SECRET_SUFFIXES,
    is_credential_identifier,
    is_secret_field,
    is_secret_label,
    is_secret_option,
)
from diagnose.secrets.scrub import (
    REMOVED,
    scrub_argv,
    scrub_document,
    scrub_json,
    scrub_request,
    scrub_text,
)

__all__ = [
    "CREDENTIAL_IDENTIFIERS",
    "LABEL_PARENTS",
    "NOT_SECRET",
    "NOT_SECRET_SUFFIXES",
    "PERMISSION_LISTS",
    "REMOVED",
    "SECRET_NAMES",
    "SECRET_QUERY",
    "SECRET_SUFFIXES",
    "is_credential_identifier",
    "is_secret_field",
    "is_secret_label",
    "is_secret_option",
    "scrub_argv",
    "scrub_document",
    "scrub_json",
    "scrub_request",
    "scrub_text",
]
