"""verl's scripts/install_sglang_mcore_npu.sh, reconstructed step by step from
verl_npu_stack.md 1.1 (line A, v0.7.1) and 1.2 (line B, v0.8.0) for the simulated verl source
tree; the real files are not reachable from here.  The defects of 1.4 are kept on purpose:
line B's extra `cd ..` after step 3 makes step 5 skip verl while the script exits 0, and
neither script can be re-run in the same directory.
"""

LINE_A = r"""#!/bin/bash
# install_sglang_mcore_npu.sh (verl v0.7.1) - simcluster reconstruction, see verl_npu_stack.md 1.1
set -e
NPU_DEVICE=${NPU_DEVICE:=A3}
USE_MEGATRON=${USE_MEGATRON:-1}
export MAX_JOBS=32

echo "1. install SGLang from source"
git clone -b v@sglang@ https://github.com/sgl-project/sglang.git
cd sglang
mv python/pyproject_other.toml python/pyproject.toml
pip install -e "python[srt_npu]"
cd ..

echo "2. install torch, torch_npu, torchvision"
pip install torch==@torch@ torch_npu==@torch_npu@ torchvision==@torchvision@
pip install pybind11 click==8.2.1 mbridge "numpy<2.0.0" cachetools

echo "3. build sgl-kernel-npu"
git clone https://github.com/sgl-project/sgl-kernel-npu.git
cd sgl-kernel-npu
git checkout @kernel_ref@
sed -i '101s/^/# /' build.sh
if [ "$NPU_DEVICE" = "A3" ]; then
    bash build.sh
elif [ "$NPU_DEVICE" = "A2" ]; then
    bash build.sh -a deepep2
fi
pip install output/torch_memory_saver*.whl
pip install output/sgl_kernel_npu*.whl
pip install output/deep_ep*.whl
cd "$(pip show deep-ep | grep -E '^Location:' | awk '{print $2}')" && ln -s deep_ep/deep_ep_cpp*.so && cd -
python -c "import deep_ep; print(deep_ep.__path__)"
cd ..

if [ "$USE_MEGATRON" = "1" ]; then
    echo "4. install MindSpeed and Megatron-LM"
    git clone -b @mindspeed_ref@ https://gitcode.com/Ascend/MindSpeed.git
    pip install -e MindSpeed
    pip install git+https://github.com/NVIDIA/Megatron-LM.git@@megatron_ref@
fi

pip uninstall -y timm triton
echo "Successfully installed all packages"
"""

LINE_B = r"""#!/bin/bash
# install_sglang_mcore_npu.sh (verl v0.8.0) - simcluster reconstruction, see verl_npu_stack.md 1.2
set -e
USE_MEGATRON=${USE_MEGATRON:-1}
MAX_JOBS=32

echo "1. install SGLang from source"
git clone -b v@sglang@ https://github.com/sgl-project/sglang.git
cd sglang
mv python/pyproject.toml python/pyproject.toml.backup
mv python/pyproject_npu.toml python/pyproject.toml
pip install -e "python[srt_npu]"
cd ..

echo "2. install torch, torch_npu, torchvision"
pip install torch==@torch@ torch_npu==@torch_npu@ torchvision==@torchvision@ pyyaml
pip install pybind11 click==8.2.1 mbridge "numpy<2.0.0" cachetools

echo "3. install sgl-kernel-npu"
ARCH=$(uname -m) && wget --no-check-certificate https://github.com/sgl-project/sgl-kernel-npu/releases/download/@kernel_ref@/@kernel_zip@
unzip sgl-kernel-npu*.zip
pip install torch_memory_saver*.whl
pip install sgl_kernel_npu*.whl
pip install deep_ep*.whl
cd "$(pip show deep-ep | grep -E '^Location:' | awk '{print $2}')" && ln -s deep_ep/deep_ep_cpp*.so && cd -
python -c "import deep_ep; print(deep_ep.__path__)"
cd ..

if [ "$USE_MEGATRON" = "1" ]; then
    echo "4. install MindSpeed and Megatron-LM"
    git clone https://gitcode.com/Ascend/MindSpeed.git
    cd MindSpeed && git checkout @mindspeed_ref@ && cd ..
    git clone --depth 1 --branch @megatron_ref@ https://github.com/NVIDIA/Megatron-LM.git
    pip install -e Megatron-LM
    pip install -e MindSpeed
    pip install mbridge
fi

echo "5. install verl"
cd verl/recipe && git checkout main && cd .. && pip install -r requirements-npu.txt \
    --extra-index-url https://triton-ascend.osinfra.cn/pypi/simple/ --trusted-host triton-ascend.osinfra.cn
pip install -v -e . && cd .. &&
pip uninstall -y timm
pip install pyyaml uvicorn fastapi pybase64 openai partial_json_parser python-multipart
echo "Successfully installed all packages"
"""


def install_script(manifest):
    """The script of the manifest's verl release (line A for 0.7.x, line B after)."""
    c = manifest["components"]
    kn = c["sgl_kernel_npu"]
    fields = {"sglang": c["sglang"]["version"], "torch": c["torch"]["version"], "torch_npu": c["torch_npu"]["version"],
              "torchvision": c["torchvision"]["version"], "kernel_ref": kn["ref"],
              "kernel_zip": str(kn["files"].get("A3", "")).replace("{arch}", "${ARCH}"),
              "mindspeed_ref": c["mindspeed"]["ref"], "megatron_ref": c["megatron_core"]["ref"]}
    text = LINE_A if str(c["verl"]["version"]).startswith("0.7") else LINE_B
    for key, value in fields.items():
        text = text.replace("@%s@" % key, str(value))
    return text.encode()
