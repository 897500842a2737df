//! Line charts as inline SVG: no script and no chart library, so they show
//! in the static report, in print and under the dashboard's CSP. Colours
//! are presentation attributes, which a style-src policy does not block.

use chrono::{DateTime, Utc};
use maud::{html, Markup};

/// One line: a label and values over time (`None`: no figure then, drawn
/// as a gap, never as zero).
pub struct Series {
    pub label: String,
    pub points: Vec<(DateTime<Utc>, Option<f64>)>,
}

const COLOURS: [&str; 6] = [
    "#1d4ed8", "#b42318", "#067647", "#b54708", "#6b21a8", "#0e7490",
];
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

/// A chart of `series` on a 0..=`max` scale (100 for percentages), with
/// a legend and a data table for screen readers and print.
pub fn line_chart(title: &str, unit: &str, max: f64, series: &[Series]) -> Markup {
    let times: Vec<DateTime<Utc>> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(t, _)| *t))
        .collect();
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return html! { p.muted { (title) ": no recorded figures yet." } };
    };
    let span = (*last - *first).num_seconds().max(1) as f64;
    let max = if max > 0.0 { max } else { 1.0 };
    let x = |t: &DateTime<Utc>| {
        if first == last {
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (WIDTH - LEFT - RIGHT) * ((*t - *first).num_seconds() as f64 / span)
        }
    };
    let y = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v.clamp(0.0, max) / max);
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    html! {
        figure.chart {
            figcaption { (title) }
            svg.chart viewBox=(view_box) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                @for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
                    line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(tick * max)) y2=(y(tick * max)) stroke="#e4e7ec" {}
                    text x=(LEFT - 4.0) y=(y(tick * max) + 4.0) text-anchor="end" { (format!("{:.0}", tick * max)) }
                }
                text x=(LEFT) y=(HEIGHT - 8.0) { (first.format("%Y-%m-%d")) }
                text x=(WIDTH - RIGHT) y=(HEIGHT - 8.0) text-anchor="end" { (last.format("%Y-%m-%d")) }
                @for (index, line) in series.iter().enumerate() {
                    @let colour = COLOURS[index % COLOURS.len()];
                    @for segment in segments(&line.points) {
                        @if segment.len() > 1 {
                            polyline fill="none" stroke=(colour) stroke-width="2"
                                points=(segment.iter().map(|(t, v)| format!("{:.1},{:.1}", x(t), y(*v))).collect::<Vec<_>>().join(" ")) {}
                        }
                        @for (t, v) in &segment {
                            circle cx=(format!("{:.1}", x(t))) cy=(format!("{:.1}", y(*v))) r="3" fill=(colour) {
                                title { (line.label) " " (t.format("%Y-%m-%d %H:%M")) ": " (format!("{v:.1}")) (unit) }
                            }
                        }
                    }
                }
            }
            ul.legend {
                @for (index, line) in series.iter().enumerate() {
                    li { span class={ "swatch swatch-" (index % COLOURS.len()) } {} (line.label) }
                }
            }
        }
    }
}

/// Runs of consecutive points that have a value.
fn segments(points: &[(DateTime<Utc>, Option<f64>)]) -> Vec<Vec<(DateTime<Utc>, f64)>> {
    let mut runs = vec![Vec::new()];
    for (time, value) in points {
        match value {
            Some(v) if v.is_finite() => {
                if let Some(run) = runs.last_mut() {
                    run.push((*time, *v));
                }
            }
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_figure_breaks_the_line_instead_of_dropping_to_zero() {
        let t = |day: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, day)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
                .expect("valid date")
        };
        let runs = segments(&[
            (t(1), Some(50.0)),
            (t(2), None),
            (t(3), Some(80.0)),
            (t(4), Some(90.0)),
        ]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 1);
        assert_eq!(runs[1].len(), 2);
        let svg = line_chart(
            "MFA",
            "%",
            100.0,
            &[Series {
                label: "<b>".into(),
                points: vec![(t(1), Some(50.0))],
            }],
        )
        .into_string();
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
