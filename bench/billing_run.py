"""Monthly billing run: raw Odoo, OCA contract, our run in one worker and in two.

    bench/billing_run.py --subscribers N   (default 5000)  [--profile]

Creates N active monthly subscriptions with the demo generator in a throwaway database
(generic chart of accounts, 15% VAT, the shipped "Monthly" profile) and invoices all of
them four times, each time for another month so that every measurement makes fresh
invoices of the same shape (one package line plus VAT, posted):

(a) raw Odoo: ``account.move.create`` of the invoices in batches, ``action_post``;
(b) OCA ``contract``: one contract per subscription, invoiced by its recurring-invoice
    method (``_recurring_create_invoice``) in batches, then posted;
(c) our monthly run (*Run Now*) in this process;
(d) our monthly run in background: *Run in Background* enqueues one queue_job job per
    batch and two worker processes, started (and their registries loaded) before the
    clock starts, perform them. Each worker does what queue_job's runner and its
    ``/queue_job/runjob`` controller do: take a pending job of the ``root.isp_billing``
    channel (``FOR UPDATE SKIP LOCKED``), mark it enqueued, then
    ``RunJobController._acquire_job`` / ``_try_perform_job`` / ``_enqueue_dependent_jobs``,
    each job in its own transaction on the worker's own cursor. The clock stops when
    the closing job has marked the run done.

Every variant commits per batch (of ``isp.billing.run._batch_size``). ``--profile``
prints the top of a cProfile of (c). The last line is:

    invoices=N raw_per_s=X contract_per_s=X ours_per_s=X ours2_per_s=X ours_vs_raw=R
    ours_vs_contract=R ours2_vs_ours=R
"""

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

CHANNEL = "root.isp_billing"
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
WORKERS = 2


# ----------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------
def _setup(env, n):
    """N active monthly subscriptions billed 100-ish + 15% VAT; return them."""
    from odoo import Command

    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
    vat = env["account.tax"].create(
        {
            "name": "VAT 15% (bench)",
            "amount": 15.0,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_excluded",
            "company_id": company.id,
        }
    )
    profile = env.ref("isp_billing.isp_billing_profile_default")
    company.write({"isp_default_vat_tax_id": vat.id, "isp_billing_default_profile_id": profile.id})
    generator = env["isp.demo.generator"]
    subscribers = max(1, n * 2 // 3)
    Subscription = env["isp.subscription"]
    while Subscription.search_count([]) < n:
        generator.generate(subscribers, seed=7, batch_size=1000)
        subscribers += max(1, n // 3)
    env.cr.commit()
    subs = Subscription.search([], order="id", limit=n)
    # bench set-up, not a lifecycle change: every subscription of the bench is active
    # and monthly; the others (a subscriber's second one) are left out of the runs
    env.cr.execute(
        "UPDATE isp_subscription SET state = CASE WHEN id = ANY(%s) THEN 'active' "
        "ELSE 'draft' END, activation_date = '2025-01-01', billing_profile_id = %s",
        (subs.ids, profile.id),
    )
    env.invalidate_all()
    subs.write({"vat_tax_ids": [Command.set(vat.ids)], "discount_percent": 0})
    subs.package_id.product_variant_id.write({"taxes_id": [Command.set(vat.ids)]})
    env.cr.commit()
    return subs, vat


def _analyze(env):
    """Fresh planner statistics and an empty cache before each measurement."""
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    env.invalidate_all()  # each variant starts with an empty cache, as a request does


def _sale_journal(env):
    return env.company._isp_get_invoice_journal()


# ----------------------------------------------------------------------
# (a) raw Odoo
# ----------------------------------------------------------------------
def _raw(env, subs, vat, batch_size, start=date(2026, 1, 1)):
    from odoo import Command
    from odoo.tools import split_every

    journal = _sale_journal(env)
    Move = env["account.move"].with_context(default_move_type="out_invoice", **QUIET)
    count = 0
    for batch in split_every(batch_size, subs.ids):
        vals_list = [
            {
                "move_type": "out_invoice",
                "partner_id": sub.partner_id.id,
                "journal_id": journal.id,
                "invoice_date": start,
                "invoice_date_due": start.replace(day=10),
                "invoice_origin": sub.name,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": sub.package_id.id,
                            "name": sub.package_id.name,
                            "quantity": 1,
                            "price_unit": sub.package_id.list_price,
                            "tax_ids": [Command.set(vat.ids)],
                        }
                    )
                ],
            }
            for sub in subs.browse(batch)
        ]
        moves = Move.create(vals_list)
        moves.action_post()
        count += len(moves)
        env.cr.commit()
    return count


# ----------------------------------------------------------------------
# (b) OCA contract
# ----------------------------------------------------------------------
def _create_contracts(env, subs):
    from odoo import Command

    start = date(2026, 2, 1)
    journal = _sale_journal(env)
    contracts = (
        env["contract.contract"]
        .with_context(**QUIET)
        .create(
            [
                {
                    "name": sub.name,
                    "partner_id": sub.partner_id.id,
                    "journal_id": journal.id,
                    "line_recurrence": False,
                    "recurring_rule_type": "monthly",
                    "recurring_interval": 1,
                    "date_start": start,
                    "recurring_next_date": start,
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": sub.package_id.product_variant_id.id,
                                "name": sub.package_id.name,
                                "quantity": 1,
                                "price_unit": sub.package_id.list_price,
                                "uom_id": sub.package_id.uom_id.id,
                                "date_start": start,
                                "recurring_next_date": start,
                            }
                        )
                    ],
                }
                for sub in subs
            ]
        )
    )
    env.cr.commit()
    return contracts


def _contract(env, contracts, batch_size):
    from odoo.tools import split_every

    count = 0
    for batch in split_every(batch_size, contracts.ids):
        batch = contracts.browse(batch).with_context(**QUIET)
        moves = batch._recurring_create_invoice(date(2026, 2, 1))
        moves.action_post()
        count += len(moves)
        env.cr.commit()
    return count


# ----------------------------------------------------------------------
# (c) and (d) ours
# ----------------------------------------------------------------------
def _ours(env, month):
    run = env["isp.billing.run"].create({"period_year": 2026, "period_month": str(month)})
    env.cr.commit()
    run.action_start()
    assert run.state == "done" and not run.failed_count, run.read()
    return run.invoiced_count


def _start_workers(dbname):
    workers = []
    for index in range(WORKERS):
        workers.append(
            subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--worker", dbname, str(index)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for worker in workers:
        line = worker.stdout.readline()
        assert line.strip() == "ready", line
    return workers


def _ours_in_background(registry, env, month, workers):
    run = env["isp.billing.run"].create({"period_year": 2026, "period_month": str(month)})
    env.cr.commit()
    run.action_start_jobs()
    env.cr.commit()
    while True:
        time.sleep(0.05)
        env.cr.rollback()  # a new snapshot of the workers' commits
        env.invalidate_all()
        if run.state != "running":
            break
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("A bench worker died")
    assert run.state == "done" and not run.failed_count, run.read()
    return run.invoiced_count


def worker_main(dbname, index):
    """A queue_job worker: perform the billing jobs until stdin closes."""
    import threading

    from psycopg2 import OperationalError
    from psycopg2.errors import SerializationFailure

    odoo = _harness.prepare_server()
    from odoo.addons.queue_job.controllers.main import RunJobController

    registry = odoo.modules.registry.Registry(dbname)
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    performed = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        print("ready", flush=True)
        while not stop.is_set():
            try:
                row = _dispatch(cr)
            except SerializationFailure:  # another worker took it
                cr.rollback()
                continue
            if not row:
                time.sleep(0.02)
                continue
            env.invalidate_all()
            job = RunJobController._acquire_job(env, row[0])
            if not job:
                continue
            try:
                RunJobController._try_perform_job(env, job)
            except OperationalError as exc:
                # a concurrency error: the runner's controller retries the job later
                cr.rollback()
                sys.stderr.write(f"worker {index}: job retried after {exc}\n")
                cr.execute("UPDATE queue_job SET state = 'pending' WHERE uuid = %s", (row[0],))
                cr.commit()  # pylint: disable=invalid-commit
                continue
            RunJobController._enqueue_dependent_jobs(env, job)
            cr.commit()  # pylint: disable=invalid-commit
            performed += 1
    sys.stderr.write(f"worker {index}: {performed} jobs\n")


def _dispatch(cr):
    """Mark the next pending billing job enqueued, as queue_job's runner does."""
    cr.execute(
        """UPDATE queue_job SET state = 'enqueued', date_enqueued = now() at time zone 'utc'
                    WHERE id = (SELECT id FROM queue_job
                                 WHERE state = 'pending' AND channel = %s
                              ORDER BY priority, date_created, id
                                 LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING uuid""",
        (CHANNEL,),
    )
    row = cr.fetchone()
    cr.commit()  # pylint: disable=invalid-commit
    return row


def _profile_top(profiler, limit=25):
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats("addons/isp_|mail|sequence", limit)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile our run (c)")
    parser.add_argument("--worker", nargs=2, metavar=("DB", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    _harness.ensure_odoo()
    if args.worker:
        worker_main(*args.worker)
        return
    n = args.subscribers
    with _harness.throwaway_database(["isp_billing", "contract"], prefix="isp_bench_h4") as reg:
        with _harness.environment(reg) as env:
            batch_size = env["isp.billing.run"]._batch_size
            subs, vat = _setup(env, n)
            contracts = _create_contracts(env, subs)
            # an ISP's database is not empty: the first invoices in an empty table
            # would be slowed by plans made for an empty table, whichever variant ran first
            _raw(env, subs[:1000], vat, batch_size, start=date(2025, 12, 1))
            print(f"set-up done: {len(subs)} subscriptions, batches of {batch_size}", flush=True)
            _analyze(env)
            with _harness.Timer() as raw:
                raw_count = _raw(env, subs, vat, batch_size)
            print(f"(a) raw: {raw_count} in {raw.seconds:.1f}s", flush=True)
            _analyze(env)
            with _harness.Timer() as contract:
                contract_count = _contract(env, contracts, batch_size)
            print(f"(b) contract: {contract_count} in {contract.seconds:.1f}s", flush=True)
            profiler = cProfile.Profile() if args.profile else None
            _analyze(env)
            with _harness.Timer() as ours:
                if profiler:
                    profiler.enable()
                ours_count = _ours(env, 3)
                if profiler:
                    profiler.disable()
            print(f"(c) ours: {ours_count} in {ours.seconds:.1f}s", flush=True)
            if profiler:
                print(_profile_top(profiler), flush=True)
            workers = _start_workers(reg.db_name)
            try:
                _analyze(env)
                with _harness.Timer() as ours2:
                    ours2_count = _ours_in_background(reg, env, 4, workers)
            finally:
                for worker in workers:
                    worker.stdin.close()
                for worker in workers:
                    worker.wait(timeout=60)
            print(f"(d) ours, {WORKERS} workers: {ours2_count} in {ours2.seconds:.1f}s", flush=True)
            assert raw_count == contract_count == ours_count == ours2_count == n, (
                raw_count,
                contract_count,
                ours_count,
                ours2_count,
            )
    raw_rate = n / raw.seconds
    contract_rate = n / contract.seconds
    ours_rate = n / ours.seconds
    ours2_rate = n / ours2.seconds
    print(
        f"invoices={n} raw_per_s={raw_rate:.1f} contract_per_s={contract_rate:.1f} "
        f"ours_per_s={ours_rate:.1f} ours2_per_s={ours2_rate:.1f} "
        f"ours_vs_raw={ours_rate / raw_rate:.2f} "
        f"ours_vs_contract={ours_rate / contract_rate:.2f} "
        f"ours2_vs_ours={ours2_rate / ours_rate:.2f}"
    )


if __name__ == "__main__":
    main()
