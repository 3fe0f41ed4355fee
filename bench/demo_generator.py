"""Demo ISP generator: batched creation against record-by-record creation.

    bench/demo_generator.py --subscribers N   (default 2000)

Creates N demo subscribers (with their subscriptions) twice in one throwaway database:
once the way a naive script would, one subscriber and its subscriptions per ORM call,
and once through the generator, which creates in batches. Prints the throughput of each
and their ratio; the last line is:

    subscribers=N one_by_one_per_s=X batched_per_s=X batched_vs_one_by_one=R
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    args = parser.parse_args()
    _harness.ensure_odoo()
    n = args.subscribers
    with _harness.throwaway_database(["isp_base"]) as registry:
        with _harness.environment(registry) as env:
            generator = env["isp.demo.generator"]
            demo = generator._get_demo_isp(seed=11)
            quiet = generator.with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_notrack=True,
                isp_state_change=True,
            )
            zones = quiet._ensure_zones(demo)
            packages = quiet._ensure_packages(demo)
            env.cr.commit()
            one_by_one = list(demo.subscribers(n))
            for subscriber in one_by_one:
                subscriber["ref"] = "ONE-" + subscriber["ref"]
                for subscription in subscriber["subscriptions"]:
                    subscription["username"] = "one." + subscription["username"]
                    if subscription["ipv4_address"]:
                        subscription["ipv4_address"] = subscription["ipv4_address"].replace(
                            "10.50.", "10.60.", 1
                        )
            with _harness.Timer() as naive:
                for subscriber in one_by_one:
                    quiet._create_batch([subscriber], zones, packages)
            env.cr.commit()
            with _harness.Timer() as batched:
                created = quiet.generate(n, seed=12, batch_size=1000)
            env.cr.commit()
            assert created == n, (created, n)
    naive_rate = n / naive.seconds
    batched_rate = n / batched.seconds
    print(
        f"subscribers={n} one_by_one_per_s={naive_rate:.1f} batched_per_s={batched_rate:.1f} "
        f"batched_vs_one_by_one={batched_rate / naive_rate:.2f}"
    )


if __name__ == "__main__":
    main()
