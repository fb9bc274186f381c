"""Error texts several built-in checks explain (each check names its own in @check(explains=)).

A text one check alone explains is defined in that check's module."""

from __future__ import annotations

from diagnose.checks._common import OPENAI_USER
from diagnose.engine.errortexts import GUID, ErrorText

ABAC_CONDITION_NOT_FULFILLED = ErrorText(
    "AuthorizationFailed (ABAC condition)",
    "... does not have authorization or an ABAC condition not fulfilled to perform action "
    "'A' over scope 'S'",
    "Azure Resource Manager",
    "the caller's only grant of this action is a conditional delegation (Role Based Access "
    "Control Administrator, Foundry Account Owner or Project Manager): its condition limits "
    "which roles it may assign or remove, and this request did not fit",
    "assign only the roles the condition allows, or have an Owner / User Access "
    "Administrator make this assignment",
    # The object id may be elided ('...', '<id>') when a message is pasted into a ticket:
    # the text is still recognised, and the caller is then looked up by the client's name.
    r"(?:client|principal)\s+'(?P<client>[^']*)'\s+with object id\s+'(?P<principal>"
    r"[^']*)'.*?authorization or an ABAC condition not fulfilled to perform action\s+"
    r"'(?P<operation>[^']+)'\s+over scope\s+'(?P<scope>[^']+)'",
    data_action=False,
)

AUTHORIZATION_FAILED = ErrorText(
    "AuthorizationFailed",
    "AuthorizationFailed: The client 'u' with object id 'o' does not have authorization to "
    "perform action 'A' over scope 'S' ...",
    "Azure Resource Manager (403)",
    "no active role of the caller or its groups grants this action at this scope or above, "
    "or a deny assignment blocks it; if the role was just assigned, it may still be "
    "propagating (up to 10 minutes) or the caller's token predates it",
    "assign the least-privileged role that grants the action at that scope (below), then "
    "sign in again",
    r"(?:client|principal)\s+'(?P<client>[^']*)'\s+with object id\s+'(?P<principal>"
    r"[^']*)'\s+does not have authorization to perform action\s+'(?P<operation>"
    r"[^']+)'\s+over scope\s+'(?P<scope>[^']+)'",
    data_action=False,
)

LINKED_AUTHORIZATION_FAILED = ErrorText(
    "LinkedAuthorizationFailed",
    "LinkedAuthorizationFailed: The client has permission to perform action 'A1' on scope "
    "'S1', however ... does not have permission to perform action(s) 'A2' on the linked "
    "scope(s) 'S2'",
    "Azure Resource Manager (403)",
    "the request also touches a linked resource (a subnet, key vault, identity, storage "
    "account) on which the caller lacks the named action",
    "grant the caller the linked action on the linked scope",
    r"LinkedAuthorizationFailed.*?(?:object id\s+'(?P<principal>" + GUID + r")'.*?)?"
    r"perform action\(?s?\)?\s+'(?P<operation>[^']+)'\s+on the linked scope\(?s?\)?\s+"
    r"'(?P<scope>[^']+)'",
    data_action=False,
)

OPENAI_PERMISSION_DENIED = ErrorText(
    "PermissionDenied (Azure OpenAI)",
    "PermissionDenied: Principal does not have access to API/Operation.",
    "Azure OpenAI / AI services data plane (401)",
    "the caller has no role with the OpenAI data action on the Azure OpenAI resource (Owner "
    "and Contributor grant none); or the call ran as another identity than expected (the "
    "user, the project or the Azure OpenAI resource's managed identity); or a new role is "
    "still propagating",
    "assign Cognitive Services OpenAI User on the Azure OpenAI resource to the identity that "
    "makes the call",
    r"Principal does not have access to API/Operation",
    data_action=True,
    implies="Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
    roles=(OPENAI_USER,),
)

STORAGE_PERMISSION_MISMATCH = ErrorText(
    "AuthorizationPermissionMismatch",
    "AuthorizationPermissionMismatch: This request is not authorized to perform this "
    "operation using this permission.",
    "Storage (403)",
    "the Entra ID caller has no blob or file data role (Owner and Contributor grant none); "
    "for a Foundry agent's files, the caller is the project's managed identity on the storage "
    "its capability host names",
    "assign Storage Blob Data Contributor (and Storage File Data Privileged Contributor for "
    "prompt flow files) on the storage account",
    r"AuthorizationPermissionMismatch|not authorized to perform this operation using "
    r"this permission",
    data_action=True,
    # A blob read unless the URL in the message is a file share's (explain reads it).
    implies="Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
)

PROMPT_FLOW_STORAGE_AUTHENTICATION = ErrorText(
    "Prompt flow storage authentication",
    "Authentication Failed ... check the storage setting",
    "Azure AI Foundry portal (prompt flow)",
    "the hub's storage uses Entra ID and the user lacks Storage File Data Privileged "
    "Contributor (Azure Files needs the BackupSemantics actions)",
    "assign Storage File Data Privileged Contributor and Storage Blob Data Contributor on "
    "the hub's storage account",
    r"Authentication\s+Failed.*storage",
)

SEARCH_UNAUTHORIZED = ErrorText(
    "Search 401/403",
    "Authorization failed. (Azure AI Search, 401 or 403)",
    "Azure AI Search",
    "while Search accepts API keys only, every Entra ID token gets 403 whatever the roles; "
    "with role-based access on, the caller lacks Search Index Data Reader / Contributor or "
    "Search Service Contributor",
    "enable role-based access on Search (authOptions aadOrApiKey), and assign the Search "
    "data and service roles to the caller",
    # The Search SDK's own wording names the status, not its code: "Operation returned an
    # invalid status 'Forbidden'".
    r"search\.windows\.net|Azure (?:AI|Cognitive) Search|"
    r"\bsearch\b.*\b(?:40[13]|Forbidden|Unauthorized)\b|"
    r"\b(?:40[13]|Forbidden|Unauthorized)\b.*\bsearch\b",
    broad=True,
)

AGENT_FILE_UPLOAD_FAILED = ErrorText(
    "Foundry agent file upload failed",
    "Failed to upload file ... (403)",
    "Foundry agent service (file storage of a standard setup)",
    "the agent service stores an agent's files in the storage account its capability host "
    "names, as the project's managed identity, which lacks the blob data role there (Storage "
    "Blob Data Contributor on the account, or the docs' container-scope roles with Storage "
    "Account Contributor)",
    "assign the project's managed identity Storage Blob Data Contributor on the storage account "
    "of the capability host's storage connection",
    r"Failed to upload file",
)

AGENT_VECTOR_STORE_FORBIDDEN = ErrorText(
    "Foundry agent vector store / file search forbidden",
    "create vector store failed: (403) Forbidden from <service>.search.windows.net",
    "Foundry agent service (vector store of a standard setup)",
    "the agent service keeps vector stores in the Search service its capability host names, as "
    "the project's managed identity, which lacks Search Index Data Contributor or Search "
    "Service Contributor there (or Search accepts API keys only)",
    "assign the project's managed identity Search Index Data Contributor and Search Service "
    "Contributor on the Search service of the capability host's vector store connection",
    r"(?:create vector store failed|vector[ _]store|file[ _]search)[^\n]*?"
    r"(?:\b403\b|Forbidden)",
)

KEY_VAULT_FORBIDDEN_BY_RBAC = ErrorText(
    "Key Vault ForbiddenByRbac",
    "Caller is not authorized to perform action on resource. ... Caller: appid=...;oid=o;... "
    "Action: 'A' Resource: 'R' ... Vault: v;location=l (403 ForbiddenByRbac)",
    "Azure Key Vault data plane (403)",
    "the vault uses Azure RBAC (enableRbacAuthorization) and no active role of the caller or "
    "its groups grants this data action on the secret, key or certificate or above it; Owner "
    "and Contributor grant no data action, and access policies are ignored on such a vault",
    "assign the least Key Vault data role that grants the action (Key Vault Secrets User to "
    "read secrets, Key Vault Crypto Service Encryption User to wrap and unwrap keys) on the "
    "vault, or on the one secret or key",
    # Key Vault writes the resource id in lower case; the object id sits in the Caller part.
    r"(?:Caller is not authorized to perform action on resource|ForbiddenByRbac)"
    r"(?:.*?\boid=(?P<principal>" + GUID + r"))?"
    r"(?:.*?\bAction:\s*'(?P<operation>[^']+)')?"
    r"(?:.*?\bResource:\s*'(?P<scope>/[^']+)')?",
    data_action=True,
)

KEY_VAULT_FORBIDDEN_BY_POLICY = ErrorText(
    "Key Vault ForbiddenByPolicy (access policies)",
    "The user, group or application 'appid=...;oid=o;...' does not have secrets get "
    "permission on key vault 'v;location=l'",
    "Azure Key Vault data plane (403)",
    "the vault uses access policies, not Azure RBAC, and no access policy gives the caller "
    "this permission: roles, even Owner or Key Vault Administrator, grant nothing on such a "
    "vault's secrets, keys and certificates",
    "add an access policy for the caller's object id with the permission the message names "
    "(az keyvault set-policy --name VAULT --object-id OID --secret-permissions get, or "
    "--key-permissions get wrapKey unwrapKey for a customer-managed key); moving the vault to "
    "Azure RBAC instead ends every access policy's access at once, so only with the Key Vault "
    "data roles of everyone who uses it assigned first",
    r"(?:'[^']*?\boid=(?P<principal>" + GUID + r")[^']*'\s+)?does not have\s+"
    r"(?P<permission>(?:secrets|keys|certificates|storage)\s+\w+)\s+permission on key vault"
    r"(?:\s+'(?P<vault>[^';]+))?"
    r"|Caller was not found on any access policy",
    no_role=True,
)

TOKEN_AUDIENCE_INVALID = ErrorText(
    "Access token missing, for another audience or expired",
    "Access token is missing, invalid, audience is incorrect "
    "(https://cognitiveservices.azure.com), or have expired.",
    "Azure OpenAI / AI services / Foundry (401)",
    "the call carried no Entra ID token, or one issued for another audience (a token for Azure "
    "Resource Manager, https://management.azure.com, is the usual one), from another tenant, "
    "or one that has expired; the service refused it before looking at any role",
    "request the token for the audience the message names, from the resource's own tenant: "
    "scope https://cognitiveservices.azure.com/.default for Azure OpenAI and AI services "
    "endpoints, https://ai.azure.com/.default for Foundry project endpoints "
    "(https://<resource>.services.ai.azure.com/api/projects/<project>); let the SDK's token "
    "provider refresh it (get_bearer_token_provider) rather than reuse one token for hours",
    r"Access token is missing, invalid, audience is incorrect"
    r"(?:\s*\((?P<audience>https?://[^\s)]+)\))?",
    no_role=True,
    related_findings=False,
)

INVALID_API_KEY = ErrorText(
    "Invalid API key or wrong endpoint",
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
    "provide a valid key for an active subscription and use a correct regional API endpoint "
    "for your resource.",
    "Azure OpenAI / AI services (401)",
    "the api-key sent is not a current key of the resource called (regenerated since, or "
    "another resource's key), or the key went to another resource's or another region's "
    "endpoint; key authentication never looks at roles",
    "send a current key of this resource to its own endpoint (both on its Keys and Endpoint "
    "page); after a key rotation, update every connection and application that stored the "
    "old key; better, switch the caller to Entra ID, which needs no key at all",
    r"invalid subscription key or wrong API endpoint",
    no_role=True,
    related_findings=False,
)

REQUEST_DISALLOWED_BY_POLICY = ErrorText(
    "RequestDisallowedByPolicy",
    "RequestDisallowedByPolicy: Resource 'r' was disallowed by policy. Reasons: '...'. Policy "
    'identifiers: \'[{"policyAssignment":{"name":"...","id":"/.../policyAssignments/a"}, '
    "...}]'",
    "Azure Resource Manager (403, Azure Policy)",
    "an Azure Policy assignment with the deny effect refused the request as written (a setting "
    "it requires, such as public network access disabled, a region, a SKU or a tag); no role "
    "assignment lifts a policy's deny, whatever roles the caller holds",
    "change the request to satisfy the policy (the message's Reasons say what it requires; the "
    "assignment it names points to the policy definition, whose rule `az policy definition "
    "show` prints), or ask the assignment's owner for an exemption created on just the "
    "resource or resource group that needs it (an exemption covers everything below where it "
    "is created)",
    # Lookaheads, each optional: the resource and the policy assignment are read wherever they
    # stand in the message (the identifiers come as JSON, quotes sometimes escaped).
    r"\A(?=.*?(?:RequestDisallowedByPolicy|was disallowed by policy))"
    r"(?=(?:.*?Resource\s+'(?P<resource>[^']{1,260})'\s+was disallowed by policy)?)"
    # The assignment's scope segment by segment (each bounded, none crossing a '/'), so that a
    # text of many '/providers/' is read in linear time.
    r"(?=(?:.*?(?P<assignment>/(?:subscriptions/[^/\"'\s\\]{1,64}"
    r"(?:/resourceGroups/[^/\"'\s\\]{1,90})?|providers/Microsoft\.Management/"
    r"managementGroups/[^/\"'\s\\]{1,90})/providers/Microsoft\.Authorization/"
    r"policyAssignments/[^\"'\s\\,}\]]{1,128}))?)",
    no_role=True,
    related_findings=False,
)

STORAGE_AUTHENTICATION_FAILED = ErrorText(
    "Storage AuthenticationFailed",
    "AuthenticationFailed: Server failed to authenticate the request. Make sure the value of "
    "Authorization header is formed correctly including the signature.",
    "Storage (401 or 403)",
    "the request's credential itself was refused, before any permission was looked at: an "
    "account key that was rotated, a SAS that expired, was revoked or was signed for another "
    "resource, a clock far off, or an Entra ID token for another audience or already expired",
    "send a current credential: the account's current key, a SAS still valid for this "
    "resource and operation, or an Entra ID token for https://storage.azure.com/ from the "
    "account's tenant; better, move the caller (connection, datastore) to Entra ID",
    r"Server failed to authenticate the request",
    no_role=True,
    related_findings=False,
)
