"""rpk's cobra `Use:` and `Short:` strings for the commands we ship, by command path.

The help renderer (cli/_help.py) takes the usage line (`rpk <parent path> <Use> [flags]`) and
the one-line description of the "Available Commands" lists from here, so that `--help` reads as
rpk's. Keys are canonical paths (aliases resolved: `sec user` is `security user`), "" is the
root. Commands rpk does not have fall back to their own arguments and docstring.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "": ("rpk", "rpk is the Redpanda CLI & toolbox"),
    # cluster
    "cluster": ("cluster", "Interact with a Redpanda cluster"),
    "cluster config": ("config", "Interact with cluster configuration properties"),
    "cluster config edit": ("edit", "Edit cluster configuration properties"),
    "cluster config export": ("export", "Export cluster configuration"),
    "cluster config force-reset": (
        "force-reset [PROPERTY...]",
        "Forcibly clear a cluster configuration property on this node",
    ),
    "cluster config get": ("get [KEY]", "Get a cluster configuration property"),
    "cluster config import": ("import", "Import cluster configuration from a file"),
    "cluster config lint": ("lint", "Remove any deprecated content from redpanda.yaml"),
    "cluster config set": ("set [KEY] [VALUE]", "Set a single cluster configuration property"),
    "cluster config status": ("status", "Get configuration status of redpanda nodes."),
    "cluster health": ("health", "Queries cluster for health overview"),
    "cluster info": ("info", "Request broker metadata"),
    "cluster logdirs": ("logdirs", "Describe log directories on Redpanda brokers"),
    "cluster logdirs describe": ("describe", "Describe log directories on Redpanda brokers"),
    "cluster maintenance": ("maintenance", "Toggle a node's maintenance mode"),
    "cluster maintenance disable": ("disable [BROKER-ID]", "Disable maintenance mode for a node"),
    "cluster maintenance enable": ("enable [BROKER-ID]", "Enable maintenance mode for a node"),
    "cluster maintenance status": ("status", "Report maintenance status"),
    "cluster partitions": ("partitions", "Manage cluster partitions"),
    "cluster partitions balance": ("balance", "Triggers on-demand partition balancing"),
    "cluster partitions balancer-status": (
        "balancer-status",
        "Queries cluster for partition balancer status",
    ),
    "cluster partitions disable": ("disable [TOPIC]", "Disable partitions of a topic"),
    "cluster partitions enable": ("enable [TOPIC]", "Enable partitions of a topic"),
    "cluster partitions list": ("list [TOPICS...]", "List partitions in the cluster"),
    "cluster partitions move": ("move", "Move partition replicas across nodes / cores"),
    "cluster partitions move-cancel": ("move-cancel", "Cancel ongoing partition movements"),
    "cluster partitions move-status": ("move-status", "Show ongoing partition movements"),
    "cluster partitions transfer-leadership": (
        "transfer-leadership",
        "Transfer partition leadership between brokers",
    ),
    "cluster quotas": ("quotas", "Manage Redpanda client quotas"),
    "cluster quotas alter": ("alter", "Add or delete a client quota"),
    "cluster quotas describe": ("describe", "Describe client quotas"),
    "cluster quotas import": ("import", "Import client quotas"),
    "cluster self-test": (
        "self-test",
        "Start, stop and query runs of Redpanda self-test through the Admin API listener",
    ),
    "cluster self-test start": ("start", "Starts a new self-test run"),
    "cluster self-test status": (
        "status",
        "Returns the status of the current running tests or the cached results of the last"
        " completed run.",
    ),
    "cluster self-test stop": ("stop", "Stops the currently executing self-test"),
    "cluster txn": ("txn", "Information about transactions and transactional producers"),
    "cluster txn describe": ("describe [TXN-IDS...]", "Describe transactional IDs"),
    "cluster txn describe-producers": (
        "describe-producers",
        "Describe transactional producers to partitions",
    ),
    "cluster txn list": ("list", "List transactions and their current states"),
    # container
    "container": ("container", "Manage a local container cluster"),
    "container purge": ("purge", "Stop and remove an existing local container cluster's data"),
    "container start": ("start", "Start a local container cluster"),
    "container status": ("status", "Get status"),
    "container stop": ("stop", "Stop an existing local container cluster"),
    # debug
    "debug": ("debug", "Debug the local Redpanda process"),
    "debug bundle": (
        "bundle",
        "Collect environment data and create a bundle file for the Redpanda Data support team"
        " to inspect",
    ),
    "debug info": ("info", "Send usage stats to Redpanda Data"),
    "debug remote-bundle": ("remote-bundle", "Create a debug bundle from a remote cluster"),
    "debug remote-bundle cancel": ("cancel", "Cancel a remote bundle execution"),
    "debug remote-bundle download": ("download", "Download a remote debug bundle"),
    "debug remote-bundle start": (
        "start",
        "Start a remote debug bundle collection in your cluster",
    ),
    "debug remote-bundle status": (
        "status",
        "Get the status of the current debug bundle process",
    ),
    # generate
    "generate": ("generate [template]", "Generate a configuration template for related services"),
    "generate grafana-dashboard": (
        "grafana-dashboard",
        "Generate a Grafana dashboard for redpanda metrics",
    ),
    "generate prometheus-config": (
        "prometheus-config",
        "Generate the Prometheus configuration to scrape Redpanda nodes",
    ),
    "generate shell-completion": ("shell-completion", "Generate shell completion commands"),
    # group
    "group": ("group", "Describe, list, and delete consumer groups and manage their offsets"),
    "group delete": ("delete [GROUPS...]", "Delete groups from brokers"),
    "group describe": ("describe [GROUPS...]", "Describe group offset status & lag"),
    "group list": ("list", "List all groups"),
    "group offset-delete": (
        "offset-delete [GROUP] --from-file FILE --topic foo:0,1,2",
        "Delete offsets for a kafka group",
    ),
    "group seek": (
        "seek [GROUP] --to (start|end|timestamp) --to-group ... --topics ...",
        "Modify a group's current offsets",
    ),
    "help": ("help [command]", "Help about any command"),  # cobra's InitDefaultHelpCmd
    "iotune": ("iotune", "Measure filesystem performance and create IO configuration file"),
    # profile
    "profile": ("profile", "Manage rpk profiles"),
    "profile clear": ("clear", "Clear the current profile"),
    "profile create": ("create [NAME]", "Create an rpk profile"),
    "profile current": ("current", "Print the current profile name"),
    "profile delete": ("delete [NAME]", "Delete an rpk profile"),
    "profile edit": ("edit [NAME]", "Edit an rpk profile"),
    "profile edit-globals": ("edit-globals", "Edit rpk globals"),
    "profile list": ("list", "List rpk profiles"),
    "profile print": ("print [NAME]", "Print rpk profile configuration"),
    "profile print-globals": ("print-globals", "Print rpk global configuration"),
    "profile prompt": ("prompt", "Prompt a profile name formatted for a PS1 prompt"),
    "profile rename-to": ("rename-to [NAME]", "Rename the current rpk profile"),
    "profile set": ("set [KEY=VALUE]+", "Set fields in the current rpk profile"),
    "profile set-globals": ("set-globals [KEY=VALUE]+", "Set rpk globals fields"),
    "profile use": ("use [NAME]", "Select the rpk profile to use"),
    # redpanda
    "redpanda": ("redpanda", "Interact with a local Redpanda process"),
    "redpanda admin": ("admin", "Talk to the Redpanda admin listener"),
    "redpanda admin brokers": (
        "brokers",
        "View and configure Redpanda brokers through the admin listener",
    ),
    "redpanda admin brokers decommission": (
        "decommission [BROKER ID]",
        "Decommission the given broker",
    ),
    "redpanda admin brokers decommission-status": (
        "decommission-status [BROKER ID]",
        "Show the progress of a node decommissioning",
    ),
    "redpanda admin brokers list": ("list", "List the brokers in your cluster"),
    "redpanda admin brokers recommission": (
        "recommission [BROKER ID]",
        "Recommission the given broker if it is still decommissioning",
    ),
    "redpanda admin config": (
        "config",
        "View or modify Redpanda configuration through the admin listener",
    ),
    "redpanda admin config log-level": ("log-level", "Manage a broker's log level"),
    "redpanda admin config log-level set": ("set [LOGGERS...]", "Set broker logger's log level"),
    "redpanda admin config print": ("print", "Display the current Redpanda configuration"),
    "redpanda check": ("check", "Check if system meets redpanda requirements"),
    "redpanda config": ("config", "Edit configuration"),
    "redpanda config bootstrap": (
        "bootstrap [--self <ip>] [--ips <ip1,ip2,...>]",
        "Initialize the configuration to bootstrap a cluster",
    ),
    "redpanda config set": (
        "set [KEY] [VALUE]",
        "Set configuration values, such as the redpanda node ID or the list of seed servers",
    ),
    "redpanda mode": ("mode [MODE]", "Enable a default configuration mode"),
    "redpanda start": ("start", "Start redpanda"),
    "redpanda stop": ("stop", "Stop redpanda"),
    "redpanda tune": (
        "tune [list of elements to tune]",
        "Sets the OS parameters to tune system performance",
    ),
    "redpanda tune help": ("help [TUNER]", "Display detailed information about the tuner"),
    "redpanda tune list": ("list", "List available tuners"),
    # registry
    "registry": ("registry", "Commands to interact with the schema registry"),
    "registry compatibility-level": (
        "compatibility-level",
        "Manage global or per-subject compatibility levels",
    ),
    "registry compatibility-level get": (
        "get [SUBJECT...]",
        "Get the global or per-subject compatibility levels",
    ),
    "registry compatibility-level set": (
        "set [SUBJECT...]",
        "Set the global or per-subject compatibility levels",
    ),
    "registry mode": ("mode", "Manage schema registry mode"),
    "registry mode get": ("get [SUBJECT...]", "Get schema registry mode"),
    "registry mode reset": ("reset [SUBJECT...]", "Reset schema registry mode"),
    "registry mode set": ("set [SUBJECT...]", "Set schema registry mode"),
    "registry schema": ("schema", "Manage your schema registry schemas"),
    "registry schema check-compatibility": (
        "check-compatibility [SUBJECT]",
        "Check schema compatibility with existing schemas in the subject",
    ),
    "registry schema create": (
        "create SUBJECT --schema {filename}",
        "Create a schema for the given subject",
    ),
    "registry schema delete": (
        "delete SUBJECT --schema-version {version}",
        "Delete a specific schema for the given subject",
    ),
    "registry schema get": (
        "get [SUBJECT]",
        "Get a schema by version, ID, or by an existing schema",
    ),
    "registry schema list": (
        "list [SUBJECT...]",
        "List the schemas for the requested subjects, or list all schemas",
    ),
    "registry schema references": (
        "references SUBJECT --schema-version {version}",
        "Retrieve a list of schemas that reference the subject",
    ),
    "registry subject": ("subject", "List or delete schema registry subjects"),
    "registry subject delete": ("delete [SUBJECT...]", "Soft or hard deletion of subjects"),
    "registry subject list": ("list", "Display all subjects"),
    # security
    "security": ("security", "Manage Redpanda security"),
    "security acl": ("acl", "Manage ACLs and SASL users"),
    "security acl create": ("create", "Create ACLs"),
    "security acl delete": ("delete", "Delete ACLs"),
    "security acl list": ("list", "List ACLs"),
    "security user": ("user", "Manage SASL users"),
    "security user create": ("create [USER] -p [PASS]", "Create a SASL user"),
    "security user delete": ("delete [USER]", "Delete a SASL user"),
    "security user list": ("list", "List SASL users"),
    "security user update": (
        "update [USER] --new-password [PW] --mechanism [MECHANISM]",
        "Update SASL user credentials",
    ),
    # topic
    "topic": ("topic", "Create, delete, produce to and consume from Redpanda topics"),
    "topic add-partitions": (
        "add-partitions [TOPICS...] --num [#]",
        "Add partitions to existing topics",
    ),
    "topic alter-config": (
        "alter-config [TOPICS...] --set key=value --delete key2,key3",
        "Set, delete, add, and remove key/value configs for a topic",
    ),
    "topic consume": ("consume TOPICS...", "Consume records from topics"),
    "topic create": ("create [TOPICS...]", "Create topics"),
    "topic delete": ("delete [TOPICS...]", "Delete topics"),
    "topic describe": ("describe [TOPICS]", "Describe topics"),
    "topic list": ("list", "List topics, optionally listing specific topics"),
    "topic produce": ("produce [TOPIC]", "Produce records to a topic"),
    "topic trim-prefix": ("trim-prefix [TOPIC]", "Trim records from topics"),
    "version": ("version", "Prints the current rpk and Redpanda version"),
}

# rpk's hidden deprecated commands at the root (`rpk start` is `rpk redpanda start`) and its
# hidden `rpk acl` (`rpk security acl`, with `rpk acl user`): looked up under these paths.
DEPRECATED_ROOTS = {
    "check": "redpanda check",
    "config": "redpanda config",
    "mode": "redpanda mode",
    "start": "redpanda start",
    "stop": "redpanda stop",
    "tune": "redpanda tune",
    "acl user": "security user",
    "acl": "security acl",
}


def lookup(path: str) -> tuple[str, str] | None:
    """rpk's (Use, Short) for a canonical command path (no leading `rpk`), if rpk has one."""
    found = COMMANDS.get(path)
    if found is not None:
        return found
    for old, new in DEPRECATED_ROOTS.items():
        if path == old or path.startswith(old + " "):
            return COMMANDS.get(new + path[len(old) :])
    return None


# Flags rpk installs on a group as persistent flags (its InstallFormatFlag): the group lists
# them under Flags, each command below it under Global Flags. By group path: (flag, row).
_FORMAT_ROW = ("      --format string", 'Output format (json,yaml,text,wide,help) (default "text")')
PERSISTENT_FLAGS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    group: (("--format", _FORMAT_ROW),)
    for group in (
        "cluster quotas",
        "cluster txn",
        "registry compatibility-level",
        "registry mode",
        "registry schema",
        "registry subject",
        "security user",
    )
}
PERSISTENT_FLAGS["cluster config"] = (
    ("--all", ("      --all", "Include all properties, including tunables")),
)


def inherited_flags(path: list[str]) -> set[str]:
    """The flags of `path` that rpk inherits from a group above it."""
    return {
        flag
        for depth in range(1, len(path))
        for flag, _ in PERSISTENT_FLAGS.get(" ".join(path[:depth]), ())
    }


# cobra's Examples section, for the commands whose rpk definition has an Example (the text is
# printed as it is: it starts and ends with a newline, as rpk's do).
EXAMPLES: dict[str, str] = {
    "group describe": """
Describe the groups foo and bar:
  rpk group describe foo bar

Describe every group whose name starts with f or ends with r:
  rpk group describe -r '^f.*' '.*r$'

Describe every group:
  rpk group describe -r '*'
""",
    "registry mode set": """
Make the whole schema registry read-only:
  rpk registry mode set --mode READONLY

Make the subjects foo and bar writable:
  rpk registry mode set foo bar --mode READWRITE
""",
}


# rpk's `Aliases:` where its order differs from our registration order or where a hidden
# copy of ours is rpk's own hidden command rather than an alias (partitions movement-cancel).
ALIASES: dict[str, tuple[str, ...]] = {
    "cluster info": ("status", "metadata"),
    "cluster partitions move-cancel": ("alter-cancel",),
}
