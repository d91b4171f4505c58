"""Reference values from Optuna for SearchSamplerTests and SearchPrunerTests.

golden-search/tpe.json: Optuna's TPESampler (default settings, univariate) on fixed trial
histories. For each case: which trials Optuna's `_split_trials` puts below (the good ones) and
above, and for each parameter the Parzen estimators it builds from them (mixture weights,
kernel means and sigmas, or the choice probabilities) and their log-density at a few points.

golden-search/asha.json: Optuna's SuccessiveHalvingPruner (min_early_stopping_rate=0,
bootstrap_count=0) on seeded learning curves, trials run one after another: each trial's
per-epoch values and the epoch at which Optuna pruned it (null: ran to the end).

    /work/torchvenv/bin/pip install optuna
    /work/torchvenv/bin/python Tests/Fixtures/make_golden_search.py
"""
import json
import pathlib

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.probability_distributions import _BatchedCategoricalDistributions
from optuna.samplers._tpe.sampler import _split_trials
from optuna.trial import TrialState, create_trial

optuna.logging.set_verbosity(optuna.logging.ERROR)

# name -> (Optuna distribution, the Swift SearchDomain as JSON)
SPACE = {
    "x": (FloatDistribution(-2.0, 3.0), {"kind": "uniform", "low": -2.0, "high": 3.0}),
    "lr": (FloatDistribution(1e-4, 1e-1, log=True), {"kind": "logUniform", "low": 1e-4, "high": 1e-1}),
    "layers": (IntDistribution(1, 8), {"kind": "integer", "low": 1, "high": 8, "log": False}),
    "hidden": (IntDistribution(1, 64, log=True), {"kind": "integer", "low": 1, "high": 64, "log": True}),
    "cell": (CategoricalDistribution([0, 1, 2, 3]), {"kind": "choice", "count": 4}),
}
# Points at which each estimator's log-density is recorded (inside each range).
POINTS = {
    "x": [-2.0, -1.3, 0.0, 0.77, 2.9, 3.0],
    "lr": [1e-4, 3e-4, 2.5e-3, 0.01, 0.1],
    "layers": [1, 2, 4, 7, 8],
    "hidden": [1, 3, 10, 33, 64],
    "cell": [0, 1, 2, 3],
}


numpy_argsort = np.argsort


def stable_argsort(a, *args, **kwargs):
    kwargs.setdefault("kind", "stable")
    return numpy_argsort(a, *args, **kwargs)


def draw_params(rng):
    return {
        "x": float(rng.uniform(-2.0, 3.0)),
        "lr": float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-1)))),
        "layers": int(rng.integers(1, 9)),
        "hidden": int(np.clip(np.round(np.exp(rng.uniform(np.log(0.5), np.log(64.5)))), 1, 64)),
        "cell": int(rng.integers(0, 4)),
    }


def objective(p):
    return -((p["x"] - 0.7) ** 2) - (np.log10(p["lr"]) + 2.5) ** 2 - 0.1 * (p["layers"] - 3) ** 2 \
        - 0.5 * (p["cell"] != 2) - 0.01 * abs(p["hidden"] - 20)


def make_case(name, direction, n_trials, pruned_every, failed, seed):
    rng = np.random.default_rng(seed)
    study = optuna.create_study(direction=direction)
    records = []
    for number in range(n_trials):
        params = draw_params(rng)
        distributions = {k: SPACE[k][0] for k in SPACE}
        value = float(objective(params))
        if direction == "minimize":
            value = -value
        if number in failed:
            state, intermediate, final = TrialState.FAIL, {}, None
        elif number % pruned_every == pruned_every - 1:
            # Pruned after epoch 1, 3 or 9, with its value there (NaN once, none once).
            last = [1, 3, 9][number % 3]
            intermediate = {e: value - 0.3 / e for e in [1, 3, 9] if e <= last}
            if number == pruned_every * 2 - 1:
                intermediate[last] = float("nan")
            if number == pruned_every * 3 - 1:
                intermediate = {}
            state, final = TrialState.PRUNED, None
        else:
            intermediate = {e: value - 0.3 / e for e in [1, 3, 9]}
            state, final = TrialState.COMPLETE, value
        study.add_trial(create_trial(state=state, params=params, distributions=distributions,
                                     value=final, intermediate_values=intermediate))
        records.append({"number": number, "state": state.name.lower().replace("fail", "failed"),
                        "values": params, "objective": final,
                        "intermediate": {str(e): (None if np.isnan(v) else v) for e, v in intermediate.items()}})

    sampler = optuna.samplers.TPESampler()
    trials = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED), use_cache=False)
    below, above = _split_trials(study, trials, optuna.samplers._tpe.sampler.default_gamma(len(trials)))
    estimators = {}
    for key, (distribution, _) in SPACE.items():
        estimators[key] = {}
        for side, side_trials in [("below", below), ("above", above)]:
            # The bandwidth rule sorts the means. numpy's default argsort leaves the order of
            # equal means unspecified (it depends on the array's length and the CPU's SIMD
            # sort), and tied kernels can swap sigmas; seqrec keeps ties in trial order, so the
            # reference is made with a stable argsort.
            np.argsort = stable_argsort
            try:
                mpe = sampler._build_parzen_estimator(study, {key: distribution}, side_trials,
                                                      handle_below=(side == "below"))
            finally:
                np.argsort = numpy_argsort
            mixture = mpe._mixture_distribution
            kernels = mixture.distributions[0]
            entry = {"weights": mixture.weights.tolist()}
            if isinstance(kernels, _BatchedCategoricalDistributions):
                entry["probabilities"] = kernels.weights.tolist()
            else:
                entry["mus"] = kernels.mu.tolist()
                entry["sigmas"] = kernels.sigma.tolist()
            points = np.asarray(POINTS[key], dtype=float)
            entry["points"] = points.tolist()
            entry["logDensity"] = mpe.log_pdf({key: points}).tolist()
            estimators[key][side] = entry
    return {"name": name, "direction": direction, "trials": records,
            "below": [t.number for t in below], "above": [t.number for t in above],
            "estimators": estimators}


cases = [
    # 43 trials (40 usable): the above set has more than 25 trials, so old ones get ramp weights.
    make_case("maximize-43", "maximize", 43, pruned_every=7, failed={5, 30, 41}, seed=3),
    # 12 trials (11 usable): few observations, equal integers, pruned trials in both sets.
    make_case("minimize-12", "minimize", 12, pruned_every=3, failed={4}, seed=11),
    # Every trial pruned: the good ones by the epoch they reached, then their last value (NaN
    # last within its epoch; no value at all after everything).
    make_case("maximize-all-pruned", "maximize", 24, pruned_every=1, failed=set(), seed=5),
]
out = pathlib.Path(__file__).parent / "golden-search" / "tpe.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps({"optuna": optuna.__version__, "numpy": np.__version__,
                           "space": [{"key": k, **SPACE[k][1]} for k in SPACE],
                           "cases": cases}, indent=1) + "\n")
print(out)


def asha_case(direction, min_resource, reduction_factor, n_trials, max_epochs, seed):
    rng = np.random.default_rng(seed)
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=reduction_factor,
                                                    min_early_stopping_rate=0, bootstrap_count=0)
    study = optuna.create_study(direction=direction, pruner=pruner)
    sign = 1.0 if direction == "maximize" else -1.0
    trials = []
    for number in range(n_trials):
        quality = rng.uniform()
        curve = [quality * (1 - 0.6 * np.exp(-e / 4)) + 0.05 * rng.normal() for e in range(1, max_epochs + 1)]
        curve = [round(sign * v, 2) for v in curve]  # rounded: ties happen, and count
        if number == 7:
            curve[2] = float("nan")  # a NaN at epoch 3 (a rung when min_resource divides 3)
        trial = study.ask()
        pruned_at = None
        for epoch, value in enumerate(curve, start=1):
            trial.report(value, epoch)
            if trial.should_prune():
                pruned_at = epoch
                break
        if pruned_at is None:
            study.tell(trial, curve[-1])
        else:
            study.tell(trial, state=TrialState.PRUNED)
        trials.append({"values": [None if np.isnan(v) else v for v in curve], "prunedAt": pruned_at})
    return {"direction": direction, "minEpochs": min_resource, "reductionFactor": reduction_factor,
            "maxEpochs": max_epochs, "trials": trials}


asha = [
    asha_case("maximize", 1, 3, 40, 20, seed=1),
    asha_case("minimize", 1, 3, 40, 20, seed=2),
    asha_case("maximize", 2, 2, 30, 15, seed=3),
    asha_case("minimize", 3, 4, 30, 40, seed=4),
]
out = pathlib.Path(__file__).parent / "golden-search" / "asha.json"
out.write_text(json.dumps({"optuna": optuna.__version__, "cases": asha}) + "\n")
print(out)
