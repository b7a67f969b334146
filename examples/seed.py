"""The blog post's target program, unchanged but for the route decorators it implies."""
# The post's handlers are untyped on purpose; pyright strict would ask for their types.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false

import asyncio

from aaf import aaf
from aaf.response import HttpResponse
from aaf.routing import Router

router = Router()


@router.route("/hello/<name>")
async def hello(connection, name="world"):  # type: ignore[no-untyped-def]  # the post's untyped style
    return HttpResponse(f"Hello, {name}")


@router.route("/count/<int:number>")
async def count(connection, number=10):  # type: ignore[no-untyped-def]
    for i in range(number):
        await connection.send(f"count {i}\n", finish=False)
        await asyncio.sleep(1)
    await connection.send("", finish=True)


@router.route("/echo", methods=["POST"])
async def echo(connection):  # type: ignore[no-untyped-def]
    body = await connection.body()
    await connection.send(body, finish=True)


app = aaf([router])
