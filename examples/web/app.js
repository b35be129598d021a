// The example page: calls the greeter with connect-es through the Function
// URL given as ?url= (default: the one `make run` starts).
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { Greeter } from "./gen/greeter_pb.js";

const $ = (id) => document.getElementById(id);
$("url").value = new URLSearchParams(location.search).get("url") ?? "http://127.0.0.1:9000";

function client() {
  const options = { baseUrl: $("url").value };
  const transport = $("protocol").value === "connect"
    ? createConnectTransport(options)
    : createGrpcWebTransport(options);
  return createClient(Greeter, transport);
}

// Code.InvalidArgument → "INVALID_ARGUMENT", as gRPC spells it.
const codeName = (code) => Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

// run clears the replies, makes one call, and shows its status. call gets
// show, which appends a reply with the time since the call started.
async function run(call) {
  const status = $("status");
  const replies = $("replies");
  replies.replaceChildren();
  status.dataset.state = "running";
  status.textContent = "calling…";
  const start = performance.now();
  const show = (message) => {
    const ms = Math.round(performance.now() - start);
    const item = document.createElement("li");
    item.dataset.ms = ms;
    const text = document.createElement("span");
    text.textContent = message;
    const time = document.createElement("time");
    time.textContent = `+${ms} ms`;
    item.append(text, time);
    replies.append(item);
  };
  try {
    await call(show);
    status.dataset.state = "ok";
    status.textContent = "OK";
  } catch (e) {
    const err = ConnectError.from(e);
    status.dataset.state = "error";
    status.textContent = `${codeName(err.code)}: ${err.rawMessage}`;
  }
  status.dataset.calls = Number(status.dataset.calls) + 1;
}

$("hello").addEventListener("click", () => run(async (show) => {
  const reply = await client().sayHello({ name: $("name").value });
  show(reply.message);
}));

$("stream").addEventListener("click", () => run(async (show) => {
  const request = {
    name: $("name").value,
    count: Number($("count").value),
    intervalMs: Number($("interval").value),
  };
  for await (const reply of client().sayHelloStream(request)) {
    show(reply.message);
  }
}));
