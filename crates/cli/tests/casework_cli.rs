//! `courtside fees`, `deadline`, `case` and `filing new|check` as a user runs them.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_courtside");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn last_line(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap().lines().last().unwrap().to_owned()
}

#[test]
fn fees_print_the_working_and_the_fee_on_the_last_line() {
    for (args, fee) in [
        (vec!["--case-type", "property", "--amount", "100000"], "2300"),
        (vec!["--case-type", "property", "--amount", "500000"], "8800"),
        (vec!["--case-type", "property", "--amount", "150000"], "3300"),
        (vec!["--case-type", "property", "--amount", "150000", "--simple-procedure"], "1650"),
        (vec!["--case-type", "property", "--amount", "8000"], "50"),
        (vec!["--case-type", "civil-contract", "--amount", "1,000,000.00"], "13800"),
        (vec!["--case-type", "labour"], "10"),
    ] {
        let out = run(&[&["fees", "--court", "demo"][..], &args].concat());
        assert_eq!(last_line(&out), fee, "{args:?}");
    }
    let out = run(&["fees", "--court", "demo", "--case-type", "property", "--amount", "150000"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("10000–100000 yuan at 2.50% = 2250.00"), "{text}");
    let out = run(&["fees", "--case-type", "property", "--amount", "12.345"]);
    assert_eq!(out.status.code(), Some(1), "three decimals are refused");
    let out = run(&["fees", "--case-type", "property"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the amount"));
}

#[test]
fn deadlines_print_the_last_day_on_the_last_line() {
    for (period, from, due) in [
        ("appeal-judgment", "2025-03-05", "2025-03-20"),
        ("answer", "2025-09-30", "2025-10-15"),
        // Ten days end on 10 October 2025, a working Friday (11 October is a make-up day).
        ("appeal-ruling", "2025-09-30", "2025-10-10"),
        // Seven days end on 7 October, inside the National Day holiday: moved to the 9th.
        ("fee-payment", "2025-09-30", "2025-10-09"),
        ("payment-order-objection", "2025-01-20", "2025-02-05"),
    ] {
        let out = run(&["deadline", "--court", "demo", "--period", period, "--from", from]);
        assert_eq!(last_line(&out), due, "{period} from {from}");
    }
    let out = run(&["deadline", "--period", "appeal-judgment", "--from", "5 March"]);
    assert_eq!(out.status.code(), Some(1));
}
