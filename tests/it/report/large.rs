//! Reports that stay usable at fleet scale: the act-now list groups the
//! servers that need the same work, and the terminal summary stays short.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::common;

use common::{fleet_of, sample_report};
use excert::report::{self, groups::act_now_groups, html, Written};

fn page(r: &excert::model::ScanReport) -> String {
    html::render(r, &excert::analyze::catalog::all()).expect("render html")
}

#[test]
fn act_now_groups_servers_that_need_the_same_work() {
    let small = act_now_groups(&sample_report()).len();
    let r = fleet_of(70);
    let groups = act_now_groups(&r);
    // Ten copies of the sample fleet need exactly the sample's kinds of work.
    assert_eq!(groups.len(), small);
    let needing: usize = r
        .servers
        .iter()
        .filter(|s| {
            matches!(
                s.severity,
                excert::model::Grade::Critical | excert::model::Grade::Warning
            )
        })
        .count();
    assert_eq!(
        groups.iter().map(|g| g.actions.len()).sum::<usize>(),
        needing
    );
    let html = page(&r);
    let act = html.split("id=\"act-now\"").nth(1).unwrap();
    // Up to the server table, which names every server again.
    let act = act.split("id=\"fleet-summary\"").next().unwrap();
    for g in &groups {
        assert!(g
            .title()
            .starts_with(&format!("{} servers: ", g.actions.len())));
        assert!(act.contains(&g.title()), "{}", g.title());
        // Every server of the group is listed, with its own command block.
        for a in &g.actions {
            assert_eq!(
                act.matches(&format!("data-host=\"{}\"", a.server.host))
                    .count(),
                1
            );
        }
    }
    assert_eq!(
        act.matches("<section class=\"act-group").count(),
        groups.len()
    );
}

#[test]
fn the_terminal_summary_stays_a_screenful_for_a_large_fleet() {
    let r = fleet_of(2000);
    let written = Written {
        json: "scan.json".into(),
        csv: "report.csv".into(),
        html: "report.html".into(),
        csv_findings: None,
    };
    let text = report::summary(&r, &written, false);
    assert!(text.lines().count() < 40, "{text}");
    for g in act_now_groups(&r) {
        assert!(text.contains(&g.title()), "{}\n{text}", g.title());
    }
}

/// Above `COMPACT_ABOVE` servers a card is about the ports that need work:
/// a healthy port is one line, never a panel, and never hides a problem.
#[test]
fn a_large_fleets_cards_keep_healthy_ports_to_one_line() {
    let r = fleet_of(html::COMPACT_ABOVE + 10);
    let html = page(&r);
    let cards = html.split("id=\"servers\"").nth(1).unwrap();
    let briefs = cards.matches("class=\"port port-brief").count();
    assert!(briefs > 0, "no one-line healthy port");
    // Every one-line port is a healthy one; every port with a finding keeps
    // its panel.
    for piece in cards.split("class=\"port port-brief").skip(1) {
        let line = piece.split("</div>").next().unwrap();
        assert!(line.contains("grade-ok"), "{line}");
        assert!(line.contains("d left"), "{line}");
    }
    assert!(cards.contains("<div class=\"port role-") && cards.contains("grade-critical"));
    // The small demo keeps every panel.
    assert_eq!(
        page(&sample_report())
            .matches("class=\"port port-brief")
            .count(),
        0
    );
}
