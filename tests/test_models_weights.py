"""Loading torchvision's weights by position, the published-weights path (offline), ImageNet classification."""

import json
import re

import numpy as np
import pytest
import torch
from torch import nn

from coursekit import models
from coursekit._torchvision import import_torchvision
from coursekit.models import weights as pt


def _same_function(ours, theirs, size=64):
    ours.eval(), theirs.eval()
    x = torch.rand(2, 3, size, size)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def _old_style(state_dict):
    """A state_dict as torchvision published DenseNet in 2017: ``norm.1`` for ``norm1``, no counters."""
    renamed = {}
    for key, value in state_dict.items():
        if key.endswith("num_batches_tracked"):
            continue
        renamed[re.sub(r"(denselayer\d+\.(?:norm|relu|conv))(\d)", r"\1.\2", key)] = (
            value
        )
    return renamed


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """torch's cache folder moved to an empty temporary folder."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path))
    (tmp_path / "checkpoints").mkdir()
    return tmp_path


class TestLoadTorchvisionWeights:
    def test_resnet18(self):
        torch.manual_seed(0)
        theirs = import_torchvision().models.resnet18()
        ours = pt.load_torchvision_weights(models.resnet18(), theirs.state_dict())
        _same_function(ours, theirs)

    def test_published_densenet_layout(self):
        torch.manual_seed(0)
        theirs = import_torchvision().models.densenet121()
        old = _old_style(theirs.state_dict())
        assert "features.denseblock1.denselayer1.norm.1.weight" in old
        assert not any(k.endswith("num_batches_tracked") for k in old)
        ours = models.densenet121()
        with pytest.raises(RuntimeError):
            ours.load_state_dict(old)  # by name it does not load
        _same_function(pt.load_torchvision_weights(ours, old), theirs, size=32)

    @pytest.mark.parametrize("name", sorted(pt.WEIGHTS))
    def test_every_network_pairs_with_torchvision(self, name):
        with torch.device("meta"):
            theirs = getattr(import_torchvision().models, name)()
            ours = getattr(models, name)(
                **({"variant": "torchvision"} if name == "alexnet" else {})
            )
        shapes = [tuple(v.shape) for k, v in ours.state_dict().items()]
        assert shapes == [tuple(v.shape) for k, v in theirs.state_dict().items()]

    def test_keeps_the_models_dtype(self):
        ours = nn.Linear(2, 2, dtype=torch.float64)
        pt.load_torchvision_weights(ours, nn.Linear(2, 2).state_dict())
        assert ours.weight.dtype == torch.float64

    def test_count_mismatch(self):
        with pytest.raises(
            ValueError,
            match=r"state_dict must have one tensor per parameter or buffer of the "
            r"model \(2, not counting num_batches_tracked\); got 1",
        ):
            pt.load_torchvision_weights(nn.Linear(2, 2), {"w": torch.zeros(2, 2)})

    def test_shape_mismatch(self):
        with pytest.raises(
            ValueError,
            match=r"the model's weight is \(3, 2\), state_dict's 0.weight is \(2, 2\)",
        ):
            pt.load_torchvision_weights(
                nn.Linear(2, 3), nn.Sequential(nn.Linear(2, 2)).state_dict()
            )

    def test_bad_types(self):
        with pytest.raises(
            TypeError, match="model must be a torch.nn.Module; got dict"
        ):
            pt.load_torchvision_weights({}, {})
        with pytest.raises(
            TypeError,
            match="state_dict must be a mapping of names to tensors; got list",
        ):
            pt.load_torchvision_weights(nn.Linear(1, 1), [torch.zeros(1)])


class TestPretrained:
    def test_offline_without_the_file(self, hub):
        with pytest.raises(
            FileNotFoundError,
            match=r"the published weights of resnet18 are not in .*resnet18-"
            r"f37072fd\.pth\. Download them once .*download=True",
        ):
            pt.pretrained("resnet18")

    def test_reads_the_cached_file(self, hub):
        torch.manual_seed(0)
        theirs = import_torchvision().models.resnet18()
        torch.save(theirs.state_dict(), pt.weights_file("resnet18"))
        assert pt.weights_file("resnet18").startswith(str(hub))
        ours = pt.pretrained("resnet18")
        assert not ours.training
        _same_function(ours, theirs)

    def test_command_line_records_the_answer(self, hub, tmp_path, capsys):
        torch.manual_seed(0)
        torch.save(
            import_torchvision().models.resnet18().state_dict(),
            pt.weights_file("resnet18"),
        )
        answer = pt.main(["resnet18", "--json", str(tmp_path / "record.json")])
        record = json.loads((tmp_path / "record.json").read_text())
        assert record["network"] == "resnet18" and record["photo"] == "grace_hopper"
        assert [tuple(a) for a in record["top5"]] == answer and len(answer) == 5
        assert answer[0][0] in capsys.readouterr().out

    def test_unknown_name(self):
        with pytest.raises(
            ValueError,
            match=r"name must be one of 'alexnet', .*'densenet121'; got 'googlenet'",
        ):
            pt.pretrained("googlenet")


class _Recorder(nn.Module):
    """Returns fixed logits and keeps the batch it was given."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits)

    def forward(self, x):
        self.seen = x
        return self.logits.expand(len(x), -1)


class TestClassifyImagenet:
    def test_categories(self):
        names = pt.imagenet_categories()
        assert (
            len(names) == 1000
            and names[:2] == ["tench", "goldfish"]
            and names[-1] == "toilet tissue"
        )

    def test_ranks_by_probability(self):
        logits = torch.zeros(1000)
        logits[652], logits[1] = 3.0, 2.0
        answer = pt.classify_imagenet(_Recorder(logits), np.zeros((50, 80, 3)), top=3)
        assert [a[0] for a in answer[:2]] == ["military uniform", "goldfish"]
        p = torch.softmax(logits, 0)
        assert answer[0][1] == pytest.approx(float(p[652])) and answer[2][
            1
        ] == pytest.approx(float(p[0]))

    def test_preprocessing(self):
        model = _Recorder(torch.zeros(1000)).train()
        # the mean colour: standardized to 0
        image = np.broadcast_to(np.array(pt.IMAGENET_MEAN), (300, 500, 3))
        pt.classify_imagenet(model, image)
        assert model.seen.shape == (1, 3, 224, 224) and model.seen.abs().max() < 1e-5
        assert model.training  # the mode is restored

    @pytest.mark.parametrize(
        "args, error, message",
        [
            (
                (nn.Identity(), np.zeros((8, 8))),
                ValueError,
                r"image must have shape \(H, W, 3\); got \(8, 8\)",
            ),
            (
                ("resnet", np.zeros((8, 8, 3))),
                TypeError,
                "model must be a torch.nn.Module; got str",
            ),
            (
                (nn.Identity(), np.zeros((8, 8, 3)), 0),
                ValueError,
                "top must be >= 1; got 0",
            ),
        ],
    )
    def test_bad_input(self, args, error, message):
        with pytest.raises(error, match=message):
            pt.classify_imagenet(*args)
