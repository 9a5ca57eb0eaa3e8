"""PyTorch side of `npm run bench:peer`: the same shapes as `bench/peer.ts`, one thread.

Prints one JSON object (CPU milliseconds per call from time.process_time, medians, as
the TypeScript side measures; GFLOP/s for the matmul) on stdout.
Run with OMP_NUM_THREADS=1; the script also calls torch.set_num_threads(1).
Usage: python3 torch_bench.py [--quick]
"""
import json
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:  # the caller turns this exit code into an install hint
    sys.stderr.write("torch is not installed for this python\n")
    sys.exit(3)

QUICK = "--quick" in sys.argv
torch.set_num_threads(1)
torch.manual_seed(0)


def median_ms(fn, repeats, warm=2):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def mlp(sizes, act=nn.ReLU, out_act=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    if out_act:
        layers.append(out_act())
    return nn.Sequential(*layers)


class BiGruEncoder(nn.Module):
    """The paper's encoder as `flash/gru.ts`: BiGRU 2 x 256, last states, mean over sequences, 2 FC layers."""

    def __init__(self, width=13, hidden=256, layers=2, fc_hidden=64, emb=32):
        super().__init__()
        self.gru = nn.GRU(width, hidden, layers, batch_first=True, bidirectional=True)
        self.head = mlp([2 * hidden, fc_hidden, emb])

    def forward(self, x, pairs):
        out, _ = self.gru(x)  # [B, T, 2H]
        h = self.gru.hidden_size
        seq = torch.cat([out[:, -1, :h], out[:, 0, h:]], 1)
        return self.head(seq.view(pairs, -1, 2 * h).mean(1))


def bench_gru(results):
    enc = BiGruEncoder()
    opt = torch.optim.Adam(enc.parameters(), lr=1e-3)
    reps = 3 if QUICK else 7
    for pairs in (1, 8):
        x = torch.randn(pairs * 32, 100, 13)
        if pairs == 1:
            with torch.no_grad():
                results["bigru_forward_1pair_ms"] = median_ms(lambda: enc(x, pairs), reps)

        def step():
            opt.zero_grad()
            loss = enc(x, pairs).pow(2).mean()
            loss.backward()
            opt.step()

        results[f"bigru_train_{pairs}pair_ms"] = median_ms(step, reps if pairs == 1 else max(2, reps // 2), warm=1)


def bench_ddpg(results, obs=8, act=2, batch=64, gamma=0.99, tau=0.005):
    actor, critic = mlp([obs, 256, 256, act], out_act=nn.Tanh), mlp([obs + act, 256, 256, 1])
    actor_t, critic_t = mlp([obs, 256, 256, act], out_act=nn.Tanh), mlp([obs + act, 256, 256, 1])
    actor_t.load_state_dict(actor.state_dict())
    critic_t.load_state_dict(critic.state_dict())
    a_opt, c_opt = torch.optim.Adam(actor.parameters(), 1e-3), torch.optim.Adam(critic.parameters(), 1e-3)
    s, s2, a, r, d = torch.randn(batch, obs), torch.randn(batch, obs), torch.rand(batch, act) * 2 - 1, torch.randn(batch, 1), torch.zeros(batch, 1)

    def update():  # SB3 TD3 with policy_delay 1 and no target noise (= DDPG)
        with torch.no_grad():
            q_next = critic_t(torch.cat([s2, actor_t(s2)], 1))
            target = r + (1 - d) * gamma * q_next
        c_loss = nn.functional.mse_loss(critic(torch.cat([s, a], 1)), target)
        c_opt.zero_grad()
        c_loss.backward()
        c_opt.step()
        a_loss = -critic(torch.cat([s, actor(s)], 1)).mean()
        a_opt.zero_grad()
        a_loss.backward()
        a_opt.step()
        with torch.no_grad():
            for net, tgt in ((actor, actor_t), (critic, critic_t)):
                for p, pt in zip(net.parameters(), tgt.parameters()):
                    pt.mul_(1 - tau).add_(p, alpha=tau)

    results["ddpg_update_ms"] = median_ms(update, 50 if QUICK else 200, warm=10)


def bench_dqn(results, obs=8, n_actions=4, batch=32, gamma=0.99):
    q, q_t = mlp([obs, 64, 64, n_actions]), mlp([obs, 64, 64, n_actions])
    q_t.load_state_dict(q.state_dict())
    opt = torch.optim.Adam(q.parameters(), 1e-4)
    s, s2 = torch.randn(batch, obs), torch.randn(batch, obs)
    a, r, d = torch.randint(0, n_actions, (batch, 1)), torch.randn(batch, 1), torch.zeros(batch, 1)

    def update():  # SB3 DQN.train: Huber loss, grad-norm clip 10
        with torch.no_grad():
            target = r + (1 - d) * gamma * q_t(s2).max(1, keepdim=True)[0]
        loss = nn.functional.smooth_l1_loss(q(s).gather(1, a), target)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q.parameters(), 10)
        opt.step()

    results["dqn_update_ms"] = median_ms(update, 100 if QUICK else 500, warm=20)


def bench_ppo(results, obs=8, act=2, batch=64, clip=0.2):
    pi, vf = mlp([obs, 64, 64, act], act=nn.Tanh), mlp([obs, 64, 64, 1], act=nn.Tanh)
    log_std = nn.Parameter(torch.zeros(act))
    params = list(pi.parameters()) + list(vf.parameters()) + [log_std]
    opt = torch.optim.Adam(params, 3e-4, eps=1e-5)
    s, a, adv, ret, old_lp = torch.randn(batch, obs), torch.randn(batch, act), torch.randn(batch), torch.randn(batch), torch.randn(batch)

    def update():  # SB3 PPO.train, one minibatch: normalised advantage, clipped ratio, value and entropy terms, grad clip 0.5
        dist = torch.distributions.Normal(pi(s), log_std.exp())
        lp = dist.log_prob(a).sum(1)
        adv_n = (adv - adv.mean()) / (adv.std() + 1e-8)
        ratio = (lp - old_lp).exp()
        p_loss = -torch.min(adv_n * ratio, adv_n * ratio.clamp(1 - clip, 1 + clip)).mean()
        v_loss = nn.functional.mse_loss(vf(s).squeeze(1), ret)
        loss = p_loss + 0.5 * v_loss - 0.0 * dist.entropy().sum(1).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 0.5)
        opt.step()

    results["ppo_minibatch_update_ms"] = median_ms(update, 100 if QUICK else 500, warm=20)


def bench_matmul(results, n=1024):
    a, b = torch.randn(n, n), torch.randn(n, n)
    ms = median_ms(lambda: a @ b, 5 if QUICK else 15)
    results["matmul_1024_gflops"] = 2 * n**3 / (ms / 1000) / 1e9


def main():
    results = {"torch_version": torch.__version__, "threads": torch.get_num_threads()}
    bench_matmul(results)
    bench_ddpg(results)
    bench_dqn(results)
    bench_ppo(results)
    bench_gru(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
