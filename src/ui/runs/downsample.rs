//! Thinning a long metric history to what a chart can show.
//!
//! A chart a few hundred pixels wide cannot show 30000 points apart, and
//! handing them all to the plot costs every frame. [`min_max_buckets`]
//! splits the x range into equal buckets and keeps, per bucket, the
//! points with the lowest and highest y, in x order. Spikes therefore
//! survive, which averaging or taking every n-th point would hide.

/// Returns at most `2 * buckets` of `points` (sorted by x): per bucket the
/// lowest and highest point, in their original order. Points with a
/// non-finite coordinate are dropped, because a chart cannot place them.
pub fn min_max_buckets(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    let finite: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|[x, y]| x.is_finite() && y.is_finite())
        .collect();
    if buckets == 0 || finite.len() <= 2 * buckets {
        return finite;
    }
    let (first, last) = (finite[0][0], finite[finite.len() - 1][0]);
    let width = (last - first) / buckets as f64;
    if width.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return extremes(&finite).to_vec();
    }
    let mut thinned = Vec::with_capacity(2 * buckets);
    let mut start = 0;
    while start < finite.len() {
        let bucket = bucket_of(finite[start][0], first, width, buckets);
        let end = start
            + finite[start..]
                .iter()
                .take_while(|[x, _]| bucket_of(*x, first, width, buckets) == bucket)
                .count();
        thinned.extend(extremes(&finite[start..end]));
        start = end;
    }
    thinned
}

fn bucket_of(x: f64, first: f64, width: f64, buckets: usize) -> usize {
    (((x - first) / width) as usize).min(buckets - 1)
}

/// Returns the lowest and highest point of a non-empty slice in x order,
/// or the single point when they are the same.
fn extremes(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut low = 0;
    let mut high = 0;
    for (index, [_, y]) in points.iter().enumerate() {
        if *y < points[low][1] {
            low = index;
        }
        if *y > points[high][1] {
            high = index;
        }
    }
    match low.cmp(&high) {
        std::cmp::Ordering::Equal => vec![points[low]],
        std::cmp::Ordering::Less => vec![points[low], points[high]],
        std::cmp::Ordering::Greater => vec![points[high], points[low]],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(count: usize) -> Vec<[f64; 2]> {
        (0..count)
            .map(|i| [i as f64, (i as f64 * 0.1).sin()])
            .collect()
    }

    #[test]
    fn short_series_kept_whole() {
        let points = line(10);
        assert_eq!(min_max_buckets(&points, 5), points);
    }

    #[test]
    fn long_series_bounded() {
        let thinned = min_max_buckets(&line(30_000), 400);
        assert!(thinned.len() <= 800, "{} points", thinned.len());
        assert!(thinned.len() >= 400, "{} points", thinned.len());
    }

    #[test]
    fn spike_survives() {
        let mut points = line(30_000);
        points[12_345][1] = 1000.0;
        points[23_456][1] = -1000.0;
        let thinned = min_max_buckets(&points, 300);
        assert!(thinned.contains(&[12_345.0, 1000.0]));
        assert!(thinned.contains(&[23_456.0, -1000.0]));
    }

    #[test]
    fn order_by_x_kept() {
        let thinned = min_max_buckets(&line(10_000), 100);
        assert!(thinned.windows(2).all(|pair| pair[0][0] < pair[1][0]));
    }

    #[test]
    fn ends_kept_for_monotonic_series() {
        let points: Vec<[f64; 2]> = (0..5000).map(|i| [i as f64, i as f64]).collect();
        let thinned = min_max_buckets(&points, 50);
        assert_eq!(thinned.first(), Some(&[0.0, 0.0]));
        assert_eq!(thinned.last(), Some(&[4999.0, 4999.0]));
    }

    #[test]
    fn non_finite_dropped() {
        let points = [
            [0.0, 1.0],
            [1.0, f64::NAN],
            [2.0, f64::INFINITY],
            [3.0, 2.0],
        ];
        assert_eq!(min_max_buckets(&points, 10), vec![[0.0, 1.0], [3.0, 2.0]]);
    }

    #[test]
    fn same_x_everywhere() {
        let points: Vec<[f64; 2]> = (0..100).map(|i| [7.0, i as f64]).collect();
        assert_eq!(min_max_buckets(&points, 10), vec![[7.0, 0.0], [7.0, 99.0]]);
    }

    #[test]
    fn zero_buckets_keeps_all_finite() {
        assert_eq!(min_max_buckets(&line(50), 0).len(), 50);
    }
}
