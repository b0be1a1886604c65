"""Engine settings chosen from the CPU's flags; a setting the run config gives always wins."""
from thinkbench.harness.engine.cpu_settings import IN_PROCESS, SPAWN, choose, cpu_flags

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
AVX512_BF16 = AVX2 | {"avx512f", "avx512_vnni", "avx512_bf16"}


def test_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx2 fma\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse", "avx2", "fma"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_without_native_bf16_the_engine_runs_float32_eager_in_process():
    choice = choose({"max_model_len": 2048}, AVX2, environ={})
    assert choice.settings == {"max_model_len": 2048, "dtype": "float32", "enforce_eager": True,
                               "enable_chunked_prefill": False, "max_num_batched_tokens": 2048}
    assert choice.environ == {IN_PROCESS: "0"}
    assert set(choice.reasons) == {"dtype", "enforce_eager", "enable_chunked_prefill", "max_num_batched_tokens",
                                   IN_PROCESS}
    assert "avx512_bf16" in choice.reasons["dtype"]
    assert choice.record()["cpu_flags"] == ["avx2"]


def test_with_native_bf16_the_model_keeps_its_own_dtype():
    choice = choose({"max_model_len": 2048}, AVX512_BF16, environ={})
    assert "dtype" not in choice.settings and "avx512_bf16" in choice.reasons["dtype"]
    assert choice.record()["cpu_flags"] == ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"]


def test_given_settings_and_variables_win():
    given = {"max_model_len": 1024, "dtype": "bfloat16", "enforce_eager": False, "max_num_batched_tokens": 4096}
    choice = choose(given, AVX2, environ={IN_PROCESS: "1"})
    assert {k: choice.settings[k] for k in given} == given
    assert choice.environ == {} and set(choice.reasons) == {"enable_chunked_prefill"}


def test_a_model_split_over_processes_keeps_vllms_process_layout():
    assert choose({"tensor_parallel_size": 2}, AVX2, environ={}).environ == {}


def test_a_second_engine_beside_an_in_process_one_gets_processes_of_its_own():
    # vLLM's parallel state is one per process: two engines in one would tear it down for each other.
    choice = choose({"max_model_len": 2048}, AVX2, environ={}, alone=False)
    assert choice.environ == {IN_PROCESS: "1", SPAWN: "spawn"}
    assert "another engine" in choice.reasons[IN_PROCESS]
