"""PCC-RL's side of `bench/pcc-rl.ts`: drives PCC-RL's own simulator, unmodified, on the
links and action sequences the bench sends, and prints one JSON line of what it saw.

Nothing of PCC-RL is copied here: the module is imported from the checkout given as the
first argument (`<DIR>/src/gym/network_sim.py`). Its environment draws a random link in
`create_new_links_and_senders`; for the check that method is replaced on the instance by
one that builds the bench's link (two `Link`s of equal settings and one `Sender`, as
PCC-RL's own method does) and the module's rate clamp (MIN_RATE, MAX_RATE) is widened, so
the sending rate is exactly the bench's. The speed episodes use PCC-RL's env as shipped
(its link ranges and rate clamp) with a sine of actions.

Input on stdin: {"scenarios": [{"id", "bw" (packets/s), "delay" (s, one way), "queue"
(packets), "rate" (packets/s), "actions": [...]}], "speed": {"episodes", "steps", "seed"}}.
"""
import contextlib
import json
import math
import os
import random
import sys
import time


def load(pcc_dir):
    sys.path.insert(0, os.path.join(pcc_dir, "src", "gym"))
    import network_sim  # noqa: E402  (PCC-RL's module, from the checkout)

    return network_sim


def run_scenario(ns, sc):
    ns.MIN_RATE, ns.MAX_RATE = 1e-9, 1e12
    env = ns.SimulatedNetworkEnv()

    def links_and_sender():
        env.links = [ns.Link(sc["bw"], sc["delay"], sc["queue"], 0.0), ns.Link(sc["bw"], sc["delay"], sc["queue"], 0.0)]
        env.senders = [ns.Sender(sc["rate"], [env.links[0], env.links[1]], 0, env.features, history_len=env.history_len)]
        env.run_dur = 3 * sc["delay"]

    env.create_new_links_and_senders = links_and_sender
    random.seed(0)
    t0, c0 = time.perf_counter(), time.process_time()
    obs0 = env.reset()
    rewards, recv, lat, loss, dur, acked, obs1 = [], [], [], [], [], [], None
    for a in sc["actions"]:
        obs, r, done, _ = env.step([a])
        if obs1 is None:
            obs1 = [float(x) for x in obs]
        mi = env.senders[0].get_run_data()
        rewards.append(float(r))
        recv.append(float(mi.get("recv rate")) / (8 * ns.BYTES_PER_PACKET))
        lat.append(float(mi.get("avg latency")))
        loss.append(float(mi.get("loss ratio")))
        dur.append(float(mi.send_end - mi.send_start))
        acked.append(int(round(mi.bytes_acked / ns.BYTES_PER_PACKET)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "id": sc["id"],
        "rewards": rewards,
        "recvRate": recv,
        "latency": lat,
        "loss": loss,
        "duration": dur,
        "acked": acked,
        "firstObservation": [float(x) for x in obs0],
        "secondObservation": obs1,
        "seconds": seconds,
        "cpuSeconds": cpu,
        "steps": len(sc["actions"]),
    }


def run_speed(ns, spec):
    ns.MIN_RATE, ns.MAX_RATE = 40, 1000  # as shipped
    random.seed(spec["seed"])
    env = ns.SimulatedNetworkEnv()
    steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(spec["episodes"]):
        env.reset()
        for i in range(spec["steps"]):
            env.step([2 * math.sin(i / 8)])
            steps += 1
    return {"steps": steps, "seconds": time.perf_counter() - t0, "cpuSeconds": time.process_time() - c0}


def main():
    ns = load(sys.argv[1])
    job = json.load(sys.stdin)
    out = {"python": sys.version.split()[0]}
    # PCC-RL prints on every reset; keep our stdout for the one JSON line.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        if job.get("speed"):
            out["speed"] = run_speed(ns, job["speed"])
        out["scenarios"] = [run_scenario(ns, sc) for sc in job["scenarios"]]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
