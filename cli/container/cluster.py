"""What `rpk container start|stop|purge|status` do on the Docker engine (rpk.md section 2)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from cli.container import engine, image, nodes, ports, readiness
from cli.container import profile as container_profile
from cli.container.engine import NodeState
from cli.errors import CliError
from cli.output import format_table

STOP_TIMEOUT_S = 20
LOG_TAIL_LINES = 20
HEADERS = (
    "node-id",
    "status",
    "kafka-address",
    "admin-address",
    "proxy-address",
    "schema-registry-address",
)

Say = Callable[[str], None]


class NodeNotReady(CliError):
    multiline = True


@dataclass
class StartOptions:
    nodes: int = 1
    image: str | None = None
    pull: bool = False
    retries: int = 10
    port_flags: dict[str, list[str] | None] = field(default_factory=dict)
    any_port: bool = False
    subnet: str = engine.DEFAULT_SUBNET
    gateway: str = engine.DEFAULT_GATEWAY
    no_profile: bool = False
    sets: list[str] = field(default_factory=list)


def start(opts: StartOptions, say: Say) -> None:
    client = engine.connect()
    existing = engine.existing_nodes(client)
    if existing:
        _restart(client, existing, opts, say)
        return
    tag = opts.image or image.default_image()
    _ensure_image(client, tag, opts.pull, say)
    plan = nodes.specs(
        opts.gateway, opts.subnet, ports.plan(opts.port_flags, opts.nodes, opts.any_port)
    )
    ports.check_free([n.ports for n in plan])
    _ensure_network(client, opts.subnet, opts.gateway, say)
    first = nodes.create(client, tag, plan[0], plan, opts.sets)
    first.start()
    say("Starting cluster...")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: nodes.create(client, tag, n, plan, opts.sets).start(), plan[1:]))
    say("Waiting for the cluster to be ready...")
    state = engine.existing_nodes(client)
    _wait(client, state, opts.nodes, opts.retries)
    say("Cluster ready!")
    say(status_table(engine.existing_nodes(client)))
    if not opts.no_profile:
        say(_create_profile(state))


def _restart(client, existing: list[NodeState], opts: StartOptions, say: Say) -> None:
    stopped = [n for n in existing if not n.running]
    if stopped:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: n.container.start(), stopped))
    else:
        say("The cluster is already running.")
    say("Waiting for the cluster to be ready...")
    _wait(client, existing, len(existing), opts.retries)
    say("Found an existing cluster:\n")
    say(status_table(engine.existing_nodes(client)))
    if len(existing) != opts.nodes:
        say(
            "To change the number of nodes, first purge the existing cluster with "
            "'rpk container purge'."
        )


def _ensure_image(client, tag: str, pull: bool, say: Say) -> None:
    if pull:
        say("Force building image...")
        image.ensure_image(client, tag, force=True, say=say)
        return
    say("Checking for a local image...")
    if not image.image_exists(client, tag):
        say(f'Version "{tag}" not found locally')
        image.ensure_image(client, tag, say=say)


def _ensure_network(client, subnet: str, gateway: str, say: Say) -> None:
    import docker.types

    if engine.find_network(client) is not None:
        return
    say(f'Creating network "{engine.NETWORK}"')
    pool = docker.types.IPAMPool(subnet=subnet, gateway=gateway)
    client.networks.create(
        engine.NETWORK,
        driver="bridge",
        ipam=docker.types.IPAMConfig(pool_configs=[pool]),
        labels={engine.CLUSTER_LABEL: engine.CLUSTER_ID},
    )


def _wait(client, state: list[NodeState], count: int, retries: int) -> None:
    addresses = [n.kafka for n in state if n.kafka]

    def gone() -> str | None:
        stopped = [n.name for n in engine.existing_nodes(client) if not n.running]
        return f"{', '.join(stopped)} stopped" if stopped else None

    try:
        http = tuple(a for n in state for a in (n.proxy, n.schema_registry) if a)
        readiness.wait_ready(addresses, count, retries, gone=gone, http=http)
    except readiness.NotReady as exc:
        raise NodeNotReady(not_ready_text(client, str(exc))) from None


def not_ready_text(client, reason: str) -> str:
    """rpk's most common complaint: say why, and show the end of the log of the node that
    failed (one that exited, else node 0)."""
    state = engine.existing_nodes(client)
    culprit = next((n for n in state if not n.running), state[0] if state else None)
    if culprit is None:
        return f"unable to start cluster: {reason}"
    logs = culprit.container.logs(tail=LOG_TAIL_LINES).decode(errors="replace").rstrip()
    return (
        f"unable to start cluster: {reason}; {culprit.name} is {culprit.status}, the last lines "
        f"of its log follow (all of it: docker logs {culprit.name}; retry with more --retries):"
        f"\n\n{logs}\n"
    )


def _create_profile(state: list[NodeState]) -> str:
    rpk = container_profile.load()
    name = container_profile.PROFILE_NAME
    if rpk.profile(name) is not None:
        return (
            f'\nA profile named "{name}" already exists; to point it at this cluster run:\n'
            f"  rpk profile delete {name}; rpk profile create --from-rpk-container"
        )
    container_profile.add_and_select(rpk, container_profile.container_profile(state))
    return f'\nCreated "{name}" profile.\n\n{container_profile.USAGE_HINT}'


def status_table(state: list[NodeState]) -> str:
    rows = [
        [
            n.node_id,
            n.status,
            n.kafka or "-",
            n.admin or "-",
            n.proxy or "-",
            n.schema_registry or "-",
        ]
        for n in state
    ]
    return format_table([h.upper() for h in HEADERS], rows).rstrip("\n")


def stop(say: Say) -> None:
    client = engine.connect()
    state = engine.existing_nodes(client)
    if not state:
        say("No cluster available.\nYou may start a new cluster with 'rpk container start'")
        return
    _stop_all(state, say)


def _stop_all(state: list[NodeState], say: Say) -> None:
    def one(node: NodeState) -> str:
        if not node.running:
            return f"{node.name} was stopped already."
        node.container.stop(timeout=STOP_TIMEOUT_S)
        return f"Stopping {node.name}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        for line in pool.map(one, state):
            say(line)


def purge(say: Say) -> None:
    client = engine.connect()
    state = engine.existing_nodes(client)
    if state:
        _stop_all(state, say)
        for node in state:
            node.container.remove(force=True, v=True)
            say(f"Removed container {node.name}")
    network = engine.find_network(client)
    if network is not None:
        network.remove()
    if not state:
        say("No nodes to remove.\nYou may start a new local cluster with 'rpk container start'")
        return
    say("Deleted cluster data.")
    deleted = container_profile.delete(container_profile.load())
    if deleted:
        say(deleted)


def status(say: Say) -> None:
    client = engine.connect()
    state = engine.existing_nodes(client)
    if not state:
        say(
            "No Redpanda nodes detected - use `rpk container start` or check `docker ps` if "
            "you expected nodes"
        )
        return
    say(status_table(state))
    say("")
    if container_profile.load().current_profile == container_profile.PROFILE_NAME:
        say(container_profile.USAGE_HINT)
        return
    brokers = ",".join(n.kafka for n in state if n.kafka)
    admins = ",".join(n.admin for n in state if n.admin)
    say(
        "You can use rpk to interact with this cluster. E.g:\n\n"
        f"    rpk cluster info -X brokers={brokers}\n"
        f"    rpk cluster health -X admin.hosts={admins}\n\n"
        "You may also set an environment variable with the comma-separated list of broker "
        "and admin API addresses:\n\n"
        f'    export RPK_BROKERS="{brokers}"\n'
        f'    export RPK_ADMIN_HOSTS="{admins}"\n'
    )
