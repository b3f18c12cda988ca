"""`rpk container`: a local Ailurus cluster in Docker (start, stop, purge, status)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Optional

import typer

from cli._app import new_group
from cli.container import cluster
from cli.container.engine import DEFAULT_GATEWAY, DEFAULT_SUBNET
from cli.errors import CliError
from cli.options import with_globals


def _ports(listener: str, default: str):
    return Annotated[
        Optional[list[str]],
        typer.Option(
            f"--{listener}-ports",
            help=f"{listener} ports to listen on; check help text for more information "
            f"(comma list or 'any'; default {default}, +1000 per node)",
            metavar="strings",
        ),
    ]


KafkaPorts = _ports("kafka", "9092")
AdminPorts = _ports("admin", "9644")
ProxyPorts = _ports("proxy", "8082")
RegistryPorts = _ports("schema-registry", "8081")
RpcPorts = _ports("rpc", "33145")


def _docker_errors(func: Callable) -> Callable:
    """An engine error the steps did not expect becomes one line (docker's explanation)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import docker.errors

        try:
            return func(*args, **kwargs)
        except docker.errors.APIError as exc:
            raise CliError(f"docker: {exc.explanation or exc}") from None
        except docker.errors.DockerException as exc:
            raise CliError(f"docker: {exc}") from None

    return wrapper


def _say(line: str) -> None:
    typer.echo(line)


@with_globals
@_docker_errors
def start(
    nodes: Annotated[
        int, typer.Option("-n", "--nodes", help="The number of nodes to start", metavar="uint")
    ] = 1,
    image_: Annotated[
        Optional[str],
        typer.Option(
            "--image",
            help="An arbitrary container image to use (default ailurus:<version>, built "
            "locally when missing)",
        ),
    ] = None,
    pull: Annotated[
        bool, typer.Option("--pull", help="Force rebuild the container image used")
    ] = False,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            help="The amount of times to check for the cluster before considering it unstable and exiting",
            metavar="uint",
        ),
    ] = 10,
    kafka_ports: KafkaPorts = None,
    admin_ports: AdminPorts = None,
    proxy_ports: ProxyPorts = None,
    schema_registry_ports: RegistryPorts = None,
    rpc_ports: RpcPorts = None,
    any_port: Annotated[
        bool, typer.Option("--any-port", help="Opt in for any (random) ports in all listeners")
    ] = False,
    subnet: Annotated[
        str, typer.Option("--subnet", help="Subnet to create the cluster network on")
    ] = DEFAULT_SUBNET,
    gateway: Annotated[
        str, typer.Option("--gateway", help="Gateway IP address for the subnet")
    ] = DEFAULT_GATEWAY,
    no_profile: Annotated[
        bool, typer.Option("--no-profile", help="If true, rpk will not create an rpk profile")
    ] = False,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            help="Redpanda configuration property to set upon start (k=v); repeatable",
            metavar="string",
        ),
    ] = None,
) -> None:
    """Start a local container cluster.

    Starts N Ailurus brokers in containers on network "redpanda" (172.24.1.0/24), named
    rp-node-<id>, in developer container mode (write caching on). The image ailurus:<version>
    is built locally the first time (Debian base by debootstrap, wheels built on this host).
    Stopped containers are started again with their data. Unless --no-profile, the
    "rpk-container" profile is created so later rpk commands reach the cluster with no flags.
    """
    if nodes < 1:
        raise CliError("--nodes: at least 1 node is needed")
    opts = cluster.StartOptions(
        nodes=nodes,
        image=image_,
        pull=pull,
        retries=retries,
        port_flags={
            "kafka": kafka_ports,
            "admin": admin_ports,
            "proxy": proxy_ports,
            "schema-registry": schema_registry_ports,
            "rpc": rpc_ports,
        },
        any_port=any_port,
        subnet=subnet,
        gateway=gateway,
        no_profile=no_profile,
        sets=list(set_ or []),
    )
    cluster.start(opts, _say)


@with_globals
@_docker_errors
def stop() -> None:
    """Stop an existing local container cluster (its data is kept)."""
    cluster.stop(_say)


@with_globals
@_docker_errors
def purge() -> None:
    """Stop and remove an existing local container cluster's data."""
    cluster.purge(_say)


@with_globals
@_docker_errors
def status() -> None:
    """Get a local container's status."""
    cluster.status(_say)


def register(root: typer.Typer) -> None:
    app = new_group(
        "container",
        "Manage a local container cluster (image ailurus:<version>, built locally when missing).",
    )
    app.command("start")(start)
    app.command("stop")(stop)
    app.command("purge")(purge)
    app.command("status")(status)
    root.add_typer(app, name="container")
