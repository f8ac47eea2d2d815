//! The experiments list: a search box, deleted experiments on request,
//! and the choice of the experiment whose runs the table lists.

use eframe::egui;

use super::super::app::PetalApp;
use crate::mlflow::Experiment;

/// Returns the experiments to list: names containing `search` (ignoring
/// case), deleted ones only when `show_deleted`.
pub fn matching<'a>(
    experiments: &'a [Experiment],
    search: &str,
    show_deleted: bool,
) -> Vec<&'a Experiment> {
    let needle = search.trim().to_lowercase();
    experiments
        .iter()
        .filter(|e| show_deleted || !e.is_deleted())
        .filter(|e| e.name.to_lowercase().contains(&needle))
        .collect()
}

/// Picks the experiment to open first: the configured name, else the
/// active experiment created last.
pub fn default_choice(experiments: &[Experiment], name: Option<&str>) -> Option<String> {
    let active = || experiments.iter().filter(|e| !e.is_deleted());
    let named = name.and_then(|name| active().find(|e| e.name == name));
    named
        .or_else(|| active().max_by_key(|e| e.creation_time.unwrap_or(0)))
        .map(|e| e.experiment_id.clone())
}

/// Draws the search box and the list; a click selects an experiment.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    ui.strong("Experiments");
    ui.add(
        egui::TextEdit::singleline(&mut app.runs.experiment_search)
            .hint_text("search")
            .desired_width(f32::INFINITY),
    );
    ui.checkbox(&mut app.runs.show_deleted, "Show deleted");
    let mut chosen = None;
    egui::ScrollArea::vertical()
        .id_salt("experiments")
        .max_height(240.0)
        .show(ui, |ui| {
            let list = matching(
                &app.runs.experiments,
                &app.runs.experiment_search,
                app.runs.show_deleted,
            );
            if list.is_empty() {
                ui.weak("No experiments match.");
            }
            for experiment in list {
                let selected = app.runs.experiment_id.as_ref() == Some(&experiment.experiment_id);
                let mut text = experiment.name.clone();
                if experiment.is_deleted() {
                    text.push_str(" (deleted)");
                }
                if ui.selectable_label(selected, text).clicked() && !selected {
                    chosen = Some(experiment.experiment_id.clone());
                }
            }
        });
    if let Some(id) = chosen {
        app.runs.experiment_id = Some(id);
        app.runs.table.selected = None;
        app.runs.table.compared.clear();
        // Filters name one experiment's params and metrics; as in MLflow's
        // own UI, another experiment starts unfiltered.
        app.runs.table.filter_text.clear();
        app.start_runs_query();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlflow::LifecycleStage;

    fn experiment(id: &str, name: &str, deleted: bool) -> Experiment {
        Experiment {
            experiment_id: id.to_string(),
            name: name.to_string(),
            lifecycle_stage: if deleted {
                LifecycleStage::Deleted
            } else {
                LifecycleStage::Active
            },
            ..Default::default()
        }
    }

    #[test]
    fn deleted_hidden_unless_asked() {
        let all = [
            experiment("1", "flowers", false),
            experiment("2", "old", true),
        ];
        assert_eq!(matching(&all, "", false).len(), 1);
        assert_eq!(matching(&all, "", true).len(), 2);
    }

    #[test]
    fn search_ignores_case() {
        let all = [
            experiment("1", "Flowers", false),
            experiment("2", "birds", false),
        ];
        let found = matching(&all, "flow", false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].experiment_id, "1");
    }

    #[test]
    fn configured_name_chosen_first() {
        let all = [experiment("1", "a", false), experiment("2", "b", false)];
        assert_eq!(default_choice(&all, Some("a")), Some("1".to_string()));
    }
}
