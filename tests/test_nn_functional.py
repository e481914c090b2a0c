import coursekit
from coursekit.nn import conv, functional, pooling, unfold


class TestFunctional:
    def test_gathers_the_functions(self):
        assert functional.conv2d is conv.conv2d
        assert functional.max_pool2d is pooling.max_pool2d
        assert functional.unfold is unfold.unfold
        assert all(callable(getattr(functional, name)) for name in functional.__all__)

    def test_reachable_from_the_package(self):
        assert coursekit.nn.functional is functional
        assert coursekit.nn.Conv2d.__module__ == "coursekit.nn.modules"
